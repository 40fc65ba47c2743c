"""Benchmarks of Tidings, run by ``make bench`` (``python -m bench``).

Each module listed in ``bench.__main__.MODULES`` has a ``main()`` that prints
its figures. Benchmarks run on their own database (``bench.env``), never on
the development one.
"""
