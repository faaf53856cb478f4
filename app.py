"""ReLU Lab: the router. Navigation over the page files, nothing else: each page sets itself up (``page_shell``)."""

import streamlit as st

# Sidebar sections, in order. A new page is one more st.Page line in its section.
PAGES = {
    "Start": [
        st.Page("pages/home.py", title="Home", icon=":material/home:", url_path="home", default=True),
        st.Page("pages/lessons.py", title="Lessons", icon=":material/school:", url_path="lessons"),
    ],
    "Labs": [
        st.Page("pages/arena.py", title="Training Arena", icon=":material/model_training:", url_path="arena"),
        st.Page("pages/gradient_flow.py", title="Gradient Flow", icon=":material/trending_down:",
                url_path="gradient_flow"),
        st.Page("pages/neurons.py", title="Neurons", icon=":material/scatter_plot:", url_path="neurons"),
        st.Page("pages/regions.py", title="Linear Regions", icon=":material/grid_view:", url_path="regions"),
        st.Page("pages/explorer.py", title="Activation Explorer", icon=":material/show_chart:", url_path="explorer"),
        st.Page("pages/speed.py", title="Speed", icon=":material/speed:", url_path="speed"),
    ],
}

st.navigation(PAGES).run()
