import pytest


@pytest.fixture
async def user():
    return {"name": "ann"}


@pytest.mark.asyncio
async def test_user(user):
    assert user["name"] == "ann"
