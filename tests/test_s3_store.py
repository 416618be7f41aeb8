

def test_evidence_store_file_url_names_the_folder_and_a_wrong_one_is_refused(monkeypatch, tmp_path):
    from aiplan.config import from_environment

    monkeypatch.delenv("EVIDENCE_DIR", raising=False)
    monkeypatch.setenv("EVIDENCE_STORE", f"file://{tmp_path / 'kho'}")
    assert from_environment(str(tmp_path))["EVIDENCE_DIR"] == str(tmp_path / "kho")
    monkeypatch.setenv("EVIDENCE_STORE", "ftp://kho")
    with pytest.raises(ValueError, match="EVIDENCE_STORE must be file:///folder or s3://bucket/prefix"):
        from_environment(str(tmp_path))
