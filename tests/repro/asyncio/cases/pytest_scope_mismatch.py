import pytest
import pytest_asyncio


@pytest_asyncio.fixture(scope="session", loop_scope="function")
async def db():
    return object()


@pytest.mark.asyncio
async def test_db(db):
    assert db
