"""The moderator console, the REST API and the live event API (FastAPI).

``create_app(ServiceConfig(review_db=..., secret_key=..., store_path=...))`` builds the
application; ``hydrawatch serve`` runs it with uvicorn. Install with ``pip install
'hydrawatch[web]'``.
"""

from .app import create_app
from .config import ServiceConfig

__all__ = ["ServiceConfig", "create_app"]
