"""Training entry points: the data made with the document generator, then the fit."""
