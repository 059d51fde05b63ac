"""Cloud Run Service and Job rules: schema, platform limits, the spec's mistakes, hygiene."""
