"""The page files (run by app.py's st.navigation) and, in pages/ui, their shared helpers.

The first import of this package leaves Streamlit's old ``pages/`` directory mode (see ``pages.ui.routing``), so a
fresh server's first deep link is routed through app.py like every other request.
"""

from pages.ui.routing import leave_pages_directory_mode

leave_pages_directory_mode()
