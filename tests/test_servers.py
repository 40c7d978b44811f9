"""The real-server fixtures work: PostgreSQL and Redis start, serve, and survive restarts."""

from __future__ import annotations

import os

import psycopg
import pytest
import redis

from tests.servers import PostgresServer, RedisServer


def _skip_unless_managed(server: PostgresServer | RedisServer) -> None:
    if not server.managed:
        pytest.skip("server comes from an environment variable; cannot restart it")


def test_postgres_roundtrip(postgres_url: str) -> None:
    with psycopg.connect(postgres_url) as conn:
        conn.execute("CREATE TABLE t (id int PRIMARY KEY, name text NOT NULL)")
        conn.execute("INSERT INTO t VALUES (1, 'satu'), (2, 'dua')")
        conn.commit()
    with psycopg.connect(postgres_url) as conn:
        rows = conn.execute("SELECT id, name FROM t ORDER BY id").fetchall()
    assert rows == [(1, "satu"), (2, "dua")]


def test_postgres_settings(postgres_server: PostgresServer, postgres_url: str) -> None:
    with psycopg.connect(postgres_url) as conn:
        assert conn.execute("SELECT current_database()").fetchone() != ("postgres",)
        if postgres_server.managed:
            assert conn.execute("SHOW fsync").fetchone() == ("off",)
            assert conn.execute("SHOW max_connections").fetchone() == ("200",)
            assert conn.execute("SHOW listen_addresses").fetchone() == ("127.0.0.1",)


def test_each_test_gets_a_fresh_database(postgres_url: str) -> None:
    # Same table name as test_postgres_roundtrip: would clash if databases were shared.
    with psycopg.connect(postgres_url) as conn:
        conn.execute("CREATE TABLE t (id int PRIMARY KEY)")
        count = conn.execute(
            "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'"
        ).fetchone()
    assert count == (1,)


def test_create_and_drop_database(postgres_server: PostgresServer) -> None:
    url = postgres_server.create_database("test_explicit_name")
    try:
        with psycopg.connect(url) as conn:
            assert conn.execute("SELECT current_database()").fetchone() == ("test_explicit_name",)
            # Dropping works even while a client is connected (WITH FORCE).
            postgres_server.drop_database("test_explicit_name")
    except psycopg.OperationalError:
        pass  # the forced drop terminated our connection: expected
    with postgres_server.connect() as conn:
        exists = conn.execute(
            "SELECT 1 FROM pg_database WHERE datname = 'test_explicit_name'"
        ).fetchone()
    assert exists is None


@pytest.mark.slow
def test_postgres_restart_keeps_data(postgres_server: PostgresServer, postgres_url: str) -> None:
    _skip_unless_managed(postgres_server)
    with psycopg.connect(postgres_url) as conn:
        conn.execute("CREATE TABLE t (id int PRIMARY KEY)")
        conn.execute("INSERT INTO t VALUES (42)")
        conn.commit()
    old = psycopg.connect(postgres_url)
    port = postgres_server.port

    postgres_server.restart()

    assert postgres_server.port == port
    with pytest.raises(psycopg.OperationalError):
        old.execute("SELECT 1")  # the old session did not survive
    old.close()
    with psycopg.connect(postgres_url) as conn:
        assert conn.execute("SELECT id FROM t").fetchall() == [(42,)]


@pytest.mark.slow
def test_postgres_crash_recovery(postgres_server: PostgresServer, postgres_url: str) -> None:
    _skip_unless_managed(postgres_server)
    with psycopg.connect(postgres_url) as conn:
        # The server runs with synchronous_commit=off: a crash may lose the last ~200 ms of
        # commits, like a real crash would. Ask for a durable commit for this one.
        conn.execute("SET synchronous_commit = on")
        conn.execute("CREATE TABLE t (id int PRIMARY KEY)")
        conn.execute("INSERT INTO t VALUES (7)")
        conn.commit()
    postgres_server.kill()
    assert not postgres_server.running
    with pytest.raises(psycopg.OperationalError):
        psycopg.connect(postgres_url, connect_timeout=2)
    postgres_server.start()
    with psycopg.connect(postgres_url) as conn:
        assert conn.execute("SELECT id FROM t").fetchall() == [(7,)]


def test_redis_roundtrip(redis_url: str) -> None:
    with redis.Redis.from_url(redis_url) as client:
        assert client.set("kunci", "nilai")
        assert client.get("kunci") == b"nilai"


def test_redis_is_flushed_between_tests(redis_url: str) -> None:
    with redis.Redis.from_url(redis_url) as client:
        assert client.get("kunci") is None
        assert client.dbsize() == 0


def test_redis_restart(redis_server: RedisServer, redis_url: str) -> None:
    _skip_unless_managed(redis_server)
    old = redis.Redis.from_url(redis_url, socket_timeout=5)
    assert old.set("sebelum", "1")
    port = redis_server.port

    redis_server.restart()

    assert redis_server.port == port
    # Persistence is off: a restarted Redis is empty. A new connection works.
    with redis.Redis.from_url(redis_url) as client:
        assert client.ping()
        assert client.get("sebelum") is None
        assert client.set("sesudah", "2")
        assert client.get("sesudah") == b"2"
    old.close()


def test_redis_kill_then_start(redis_server: RedisServer, redis_url: str) -> None:
    _skip_unless_managed(redis_server)
    redis_server.kill()
    assert not redis_server.running
    with (
        pytest.raises(redis.ConnectionError),
        redis.Redis.from_url(redis_url, socket_connect_timeout=1) as client,
    ):
        client.ping()
    redis_server.start()
    with redis.Redis.from_url(redis_url) as client:
        assert client.ping()


def test_servers_share_our_session_in_a_group_of_their_own(
    postgres_server: PostgresServer, redis_server: RedisServer
) -> None:
    """One session (one autogroup for the kernel's scheduler: tests/servers.py, "Sessions"),
    each server its own process group, so it can be signalled whole."""
    for server in (postgres_server, redis_server):
        _skip_unless_managed(server)
        process = server._process
        assert process is not None
        assert os.getsid(process.pid) == os.getsid(0)
        assert os.getpgid(process.pid) == process.pid != os.getpgid(0)
