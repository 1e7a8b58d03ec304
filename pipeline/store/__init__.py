"""Storage: objects, relational state, migrations, retention, the incoming drop zone."""
