async def test_fetch():
    assert True
