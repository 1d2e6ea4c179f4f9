async def test_health(fetch_json):
    status, data, _ = await fetch_json("workbench", "api", "health", headers={"Authorization": ""})
    assert (status, data) == (200, {"status": "ok"})
