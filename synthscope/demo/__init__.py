"""Built-in demo data: shapes with known attributes and deliberately planted biases."""
