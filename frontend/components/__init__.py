"""Custom Streamlit components of the microcred app (no build step: plain JavaScript files)."""
