"""HTTP routers of the legacy monolith, one module per client kind."""
