"""The UI side: runtime composition, queries, commands and charts for the Streamlit pages."""
