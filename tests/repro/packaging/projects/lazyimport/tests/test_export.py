def test_export():
    import openpyxl

    assert openpyxl
