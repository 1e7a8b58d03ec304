"""Document-type classifier: features, model factory, training data, training, persistence."""
