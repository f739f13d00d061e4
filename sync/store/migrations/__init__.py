"""The store's Alembic migrations, packaged with the code and run without an alembic.ini.

``env.py`` takes the connection :meth:`sync.store.Store.upgrade` hands it (in
``config.attributes["connection"]``), so the upgrade runs in the caller's transaction.
To write a new revision, build the schema change in ``sync/store/schema.py`` and let
Alembic draft the script against a store at the current head::

    from alembic import command
    from sync.store import open_store

    with open_store("sqlite:///draft.db") as store:
        store.upgrade()
        with store.begin() as connection:
            command.revision(store.alembic_config(connection), "what changes", autogenerate=True)

then review it (name it ``NNNN_what.py`` in ``versions/``): a released revision is never
edited; the test ``tests/sync/test_migrations.py`` checks the chain builds the schema.
"""
