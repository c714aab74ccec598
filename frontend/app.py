"""microcred web app: the router only. Pages live in views/, logic in the microcred library.

streamlit run frontend/app.py      (configured by MICROCRED_RPC_URL, MICROCRED_DEPLOYMENT,
                                    MICROCRED_STORE, or the same keys in Streamlit secrets)
"""

from __future__ import annotations

import sys
from pathlib import Path

import streamlit as st

HERE = Path(__file__).resolve().parent
# Pages import the shared modules (services, ui, components) from frontend/.
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

# A local file, served by this app: a Material icon as favicon is fetched from a font host, and
# the page makes no request to any other host.
st.set_page_config(page_title="microcred", page_icon=str(HERE / "favicon.png"), layout="wide")
# Streamlit's uploaders state their own cap ("200MB per file"); each uploader's label states the
# real limit of its kind instead (upload_limits), so the generic one is hidden.
st.html("<style>[data-testid='stFileUploaderDropzoneInstructions'] span {display: none;}</style>")

pages = {
    "Check credentials": [
        st.Page(
            HERE / "views/verify.py",
            title="Verify",
            icon=":material/verified:",
            url_path="home",
            default=True,
        ),
        # Share links (/verify?address=... and /verify?credential=...) open the same page.
        st.Page(HERE / "views/verify.py", title="Verify", url_path="verify", visibility="hidden"),
        st.Page(
            HERE / "views/my_credentials.py",
            title="My credentials",
            icon=":material/wallet:",
            url_path="wallet",
        ),
    ],
    "Institutions": [
        st.Page(
            HERE / "views/issue.py",
            title="Issue",
            icon=":material/workspace_premium:",
            url_path="issue",
        ),
        st.Page(
            HERE / "views/templates.py",
            title="Templates",
            icon=":material/school:",
            url_path="templates",
        ),
        st.Page(
            HERE / "views/registry.py",
            title="Registry",
            icon=":material/account_balance:",
            url_path="registry",
        ),
    ],
}

st.navigation(pages).run()
