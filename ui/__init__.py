"""Shared pieces of the Streamlit pages: French formats, cached loaders, cards, charts."""
