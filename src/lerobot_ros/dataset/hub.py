"""Push a dataset folder to the Hugging Face Hub and pull one down, as LeRobot's ``push_to_hub``
does: the folder is uploaded as is to a ``repo_type="dataset"`` repository.

Kept thin on purpose: the upload and download are single ``huggingface_hub`` calls, and only what
can be checked offline (the folder is a dataset, the repo id, offline mode) is checked here.
"""

from __future__ import annotations

from pathlib import Path

from .info import DatasetInfo


class HubError(RuntimeError):
    """A push or pull that cannot work as asked (offline mode, a bad repo id)."""


def _check(repo_id: str, action: str) -> None:
    from huggingface_hub import constants

    owner, sep, name = repo_id.partition("/")
    if not (sep and owner and name) or "/" in name:
        raise HubError(f"repo id {repo_id!r} is not <owner>/<name>, e.g. my_user/pick_cube")
    if constants.HF_HUB_OFFLINE:
        raise HubError(f"cannot {action} {repo_id}: Hugging Face Hub offline mode is on (HF_HUB_OFFLINE=1); "
                       "unset HF_HUB_OFFLINE to reach the Hub")


def push(root: str | Path, repo_id: str, private: bool = False) -> str:
    """Upload ``root`` to the dataset repository ``repo_id`` (created if missing); returns its URL."""
    from huggingface_hub import HfApi

    root = Path(root)
    DatasetInfo.load(root)  # refuse what is not a dataset before any network traffic
    _check(repo_id, "push to")
    api = HfApi()
    url = api.create_repo(repo_id, repo_type="dataset", private=private, exist_ok=True)
    api.upload_folder(folder_path=root, repo_id=repo_id, repo_type="dataset",
                      ignore_patterns=[".*", "*/.*", ".staging/**"])
    return str(url)


def pull(repo_id: str, out: str | Path, revision: str | None = None) -> Path:
    """Download the dataset repository ``repo_id`` into the new folder ``out`` and check it reads."""
    from huggingface_hub import snapshot_download

    out = Path(out)
    if out.exists():
        raise FileExistsError(f"{out} already exists; pull into a new folder")
    _check(repo_id, "pull")
    snapshot_download(repo_id, repo_type="dataset", revision=revision, local_dir=out)
    DatasetInfo.load(out)
    return out


def resolve(dataset: str | Path) -> Path:
    """A dataset folder, or a Hub dataset repository ``<owner>/<name>`` resolved through the
    ``huggingface_hub`` cache (downloaded into it when online; with ``HF_HUB_OFFLINE=1`` the cached
    copy is used, as LeRobot does), checked to be a dataset."""
    from huggingface_hub import snapshot_download
    from huggingface_hub.errors import HFValidationError, LocalEntryNotFoundError

    path = Path(dataset).expanduser()
    if path.exists():
        DatasetInfo.load(path)
        return path
    owner, sep, name = str(dataset).partition("/")
    if not (sep and owner and name) or "/" in name:
        raise FileNotFoundError(f"{dataset} is neither a dataset folder nor a Hub repo id (<owner>/<name>)")
    try:
        local = Path(snapshot_download(str(dataset), repo_type="dataset"))
    except LocalEntryNotFoundError:
        raise HubError(f"{dataset} is not in the Hugging Face cache and the Hub cannot be reached (offline mode "
                       "or no network); pull it once online, or give a dataset folder") from None
    except HFValidationError as err:
        raise HubError(f"{dataset}: {err}") from None
    DatasetInfo.load(local)
    return local
