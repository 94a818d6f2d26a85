"""Domain services: each function takes the runtime and a store session, enforces the rules of
DESIGN.md, audits in the same transaction, and raises :mod:`postgate.errors` on refusal."""
