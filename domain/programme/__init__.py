"""The childcare programme: families, providers, rates, monthly allocations and care days."""
