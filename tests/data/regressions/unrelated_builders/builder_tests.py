import unittest


class TestBuilder(unittest.TestCase):
    def test_new_builder(self) -> None:
        self.assertTrue(True)
