"""The differential tier's machinery: generated operation sequences (`ops`), the targets they
run against and what each one answered (`targets`), and how answers are normalized and
compared, with every tolerance in one table (`compare`). The tests are in
tests/real/test_differential.py.
"""
