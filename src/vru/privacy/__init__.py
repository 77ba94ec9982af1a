"""Privacy: pseudonymisation, disclosure control, roles and the audit log."""
