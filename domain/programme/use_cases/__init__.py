"""The programme's use cases: each opens the unit of work, applies the rules and commits once."""
