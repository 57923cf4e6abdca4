"""RFC 7643/7644, vendor-agnostic: schemas, filters, PATCH, resources, listing and views."""
