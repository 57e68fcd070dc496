"""`hydrawatch avatars`: fetch and hash avatar pictures so returnees re-uploading the same
picture under a new URL are recognised."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from .options import DbOption
from .output import err


def register(app: typer.Typer) -> None:
    @app.command()
    def avatars(
        db: DbOption = None,
        images: Annotated[Path | None, typer.Option(help="A folder of avatar files (named as the last part of their URL).")] = None,
        world: Annotated[Path | None, typer.Option(help="A world from `hydrawatch synth`: render its avatars (the simulated platform's picture server).")] = None,
        workers: Annotated[int, typer.Option(help="Processes fetching and hashing.")] = 2,
    ) -> None:
        """PDQ-hash every avatar picture not hashed yet (a returnee's re-uploaded avatar gets a
        new URL but keeps its picture). Pictures come from a folder or a simulated world; no
        network access."""
        from hydrawatch.pipeline import hash_avatars
        from hydrawatch.store import snapshots
        from hydrawatch.store.duck import Store

        if (images is None) == (world is None):
            err.print("[red]error:[/red] give exactly one of --images DIR or --world DIR")
            raise typer.Exit(2)
        if images is not None:
            from hydrawatch.signals.media import DirectoryFetcher

            fetcher = DirectoryFetcher(images)
        else:
            from hydrawatch.signals.imagesynth import SyntheticAvatarFetcher

            fetcher = SyntheticAvatarFetcher.from_world(world)
        with Store(db) as store:
            urls = snapshots.avatar_urls(store.con)
            with err.status(f"hashing {len(urls):,} avatar pictures ..."):
                hashed = hash_avatars(store, fetcher, urls, workers=workers)
        err.print(f"{hashed:,} of {len(urls):,} avatar pictures hashed ({len(urls) - hashed:,} not available)")
