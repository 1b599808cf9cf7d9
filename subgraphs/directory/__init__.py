"""The directory subgraph: chambers, memberships and invitations, the business
directory, events, bulk member import and membership cards.

Entry points: `subgraphs.directory.app` (SPEC, create_app), the worker
(`python -m subgraphs.directory worker`), and the domain modules chambers,
businesses, agenda, importing and cards.
"""
