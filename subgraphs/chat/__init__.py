"""The chat subgraph: complaints, conversations, messages, typing, presence, receipts.

Entry points: `subgraphs.chat.app` (SPEC, create_app), the domain functions in
complaints, conversations, messages, search, subscriptions and typing_indicators.
"""
