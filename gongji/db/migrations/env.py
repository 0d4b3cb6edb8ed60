"""Alembic environment: runs on the connection handed over by gongji.db.Database.upgrade()."""

from alembic import context
from sqlalchemy import create_engine

from gongji.db import database_url
from gongji.db.models import Base

target_metadata = Base.metadata


def run() -> None:
    connection = context.config.attributes.get("connection")
    if connection is None:  # the alembic command line: use GONGJI_DATABASE_URL
        with create_engine(database_url()).begin() as conn:
            context.configure(connection=conn, target_metadata=target_metadata, render_as_batch=True)
            with context.begin_transaction():
                context.run_migrations()
        return
    context.configure(connection=connection, target_metadata=target_metadata, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()


run()
