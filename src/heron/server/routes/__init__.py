"""One ``APIRouter`` per resource; ``heron.server.app`` mounts them under ``/api/v1``."""
