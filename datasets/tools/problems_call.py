"""Built-in call-based problems: plain functions (Codewars style) and `class Solution` methods
(LeetCode style).

Each problem is a dict:
- `id`: stable, unique slug;
- `difficulty`: introductory | interview;
- `statement`: the task, with the meaning of the arguments, the result and constraints (the
  first test is appended as the example by build_builtin.py);
- `solution`: the full solution; the starter code is its (last) top-level function, or the first
  public method of its `class Solution`;
- `tests`: (arguments, expected result) pairs, written by hand, the first shown as the example.

Written for the stepcoder project (Apache-2.0); not copied from any kata or contest archive.
"""

PROBLEMS = []


def problem(**fields):
    PROBLEMS.append(fields)


# ---------------------------------------------------------------------------------------------
# plain functions, introductory
# ---------------------------------------------------------------------------------------------

problem(
    id="double-all",
    difficulty="introductory",
    statement="""
        Write a function that takes a list of integers and returns a new list in which every
        number is doubled, in the same order.
    """,
    solution=r"""
        def double_all(nums):
            return [2 * x for x in nums]
    """,
    tests=[(([1, 2, 3],), [2, 4, 6]), (([],), []), (([-4, 0],), [-8, 0])],
)

problem(
    id="count-char",
    difficulty="introductory",
    statement="""
        Return how many times the character `ch` occurs in the string `text`.
        Upper and lower case letters are different characters.
    """,
    solution=r"""
        def count_char(text, ch):
            count = 0
            for c in text:
                if c == ch:
                    count += 1
            return count
    """,
    tests=[(("banana", "a"), 3), (("", "x"), 0), (("Aa", "a"), 1)],
)

problem(
    id="is-sorted",
    difficulty="introductory",
    statement="""
        Return True if the list `nums` is sorted in non-decreasing order (each element is at
        least as large as the one before it) and False otherwise. An empty list is sorted.
    """,
    solution=r"""
        def is_sorted(nums):
            return all(a <= b for a, b in zip(nums, nums[1:]))
    """,
    tests=[(([1, 2, 2, 5],), True), (([3, 1],), False), (([],), True), (([7],), True)],
)

problem(
    id="title-words",
    difficulty="introductory",
    statement="""
        Words in `sentence` are separated by single spaces. Return the sentence with the first
        letter of every word in upper case and all other letters in lower case.
    """,
    solution=r"""
        def title_words(sentence):
            return " ".join(w[:1].upper() + w[1:].lower() for w in sentence.split(" "))
    """,
    tests=[(("hello wORLD",), "Hello World"), (("",), ""), (("a b c",), "A B C")],
)

problem(
    id="sum-of-multiples",
    difficulty="introductory",
    statement="""
        Return the sum of all positive integers smaller than `limit` that are divisible by `a`
        or by `b` (numbers divisible by both are counted once).
        1 <= limit <= 10^5 and 1 <= a, b <= 100.
    """,
    solution=r"""
        def sum_multiples(limit, a, b):
            return sum(x for x in range(1, limit) if x % a == 0 or x % b == 0)
    """,
    tests=[((10, 2, 7), 27), ((1, 2, 3), 0), ((20, 4, 4), 40), ((16, 3, 5), 60)],
)

problem(
    id="unique-in-order",
    difficulty="introductory",
    statement="""
        Remove repeated values from a list: keep the first occurrence of each value and drop the
        later ones, without changing the order of what is kept.
    """,
    solution=r"""
        def unique_in_order(nums):
            seen = set()
            out = []
            for x in nums:
                if x not in seen:
                    seen.add(x)
                    out.append(x)
            return out
    """,
    tests=[(([3, 1, 3, 2, 1],), [3, 1, 2]), (([],), []), (([5, 5, 5],), [5])],
)

problem(
    id="initials",
    difficulty="introductory",
    statement="""
        Given a person's full name (words separated by spaces), return the initials: the first
        letter of every word in upper case, each followed by a dot.
    """,
    solution=r"""
        def initials(name):
            return "".join(part[0].upper() + "." for part in name.split())
    """,
    tests=[(("ada lovelace",), "A.L."), (("Grace Brewster Hopper",), "G.B.H."), (("x",), "X.")],
)

problem(
    id="count-evens",
    difficulty="introductory",
    statement="""
        Return how many numbers in the list `nums` are even. Zero and negative even numbers count.
    """,
    solution=r"""
        def count_evens(nums):
            return len([x for x in nums if x % 2 == 0])
    """,
    tests=[(([1, 2, 3, 4],), 2), (([],), 0), (([-2, 0, 7],), 2)],
)

problem(
    id="hamming-distance",
    difficulty="introductory",
    statement="""
        Two strings of equal length are given. Return the number of positions at which their
        characters differ.
    """,
    solution=r"""
        def hamming(a, b):
            return sum(x != y for x, y in zip(a, b))
    """,
    tests=[(("flour", "floor"), 1), (("", ""), 0), (("abc", "xyz"), 3)],
)

problem(
    id="digital-root",
    difficulty="introductory",
    statement="""
        Replace a non-negative integer n by the sum of its digits, again and again, until a single
        digit remains. Return that digit.
    """,
    solution=r"""
        def digital_root(n):
            while n >= 10:
                n = sum(int(d) for d in str(n))
            return n
    """,
    tests=[((493193,), 2), ((0,), 0), ((9,), 9), ((10,), 1)],
)

problem(
    id="alternate-caps",
    difficulty="introductory",
    statement="""
        Return a copy of the string `s` in which the characters at even positions (0, 2, 4, ...)
        are upper case and the characters at odd positions are lower case. Characters that are
        not letters stay as they are but still occupy a position.
    """,
    solution=r"""
        def alternate_caps(s):
            return "".join(c.upper() if i % 2 == 0 else c.lower() for i, c in enumerate(s))
    """,
    tests=[(("hello",), "HeLlO"), (("",), ""), (("AB CD",), "Ab cD")],
)

problem(
    id="min-and-max",
    difficulty="introductory",
    statement="""
        Given a non-empty list of integers, return a pair: the smallest and the largest value.
    """,
    solution=r"""
        def min_max(nums):
            return (min(nums), max(nums))
    """,
    tests=[(([3, 1, 2],), [1, 3]), (([5],), [5, 5]), (([-1, -9, 4],), [-9, 4])],
)

problem(
    id="anagram-check",
    difficulty="introductory",
    statement="""
        Two phrases are anagrams if one uses exactly the letters of the other, ignoring spaces
        and letter case. Return True if `a` and `b` are anagrams and False otherwise.
    """,
    solution=r"""
        def are_anagrams(a, b):
            def letters(s):
                return sorted(s.replace(" ", "").lower())

            return letters(a) == letters(b)
    """,
    entry="are_anagrams",
    tests=[
        (("Listen", "Silent"), True),
        (("abc", "abd"), False),
        (("dormitory", "dirty room"), True),
        (("", ""), True),
    ],
)

problem(
    id="factorial",
    difficulty="introductory",
    statement="""
        Return n! = 1 * 2 * ... * n for a non-negative integer n (0 <= n <= 100). By definition
        0! = 1.
    """,
    solution=r"""
        def factorial(n):
            result = 1
            for i in range(2, n + 1):
                result *= i
            return result
    """,
    tests=[((0,), 1), ((5,), 120), ((20,), 2432902008176640000)],
)

problem(
    id="to-binary",
    difficulty="introductory",
    statement="""
        Return the binary representation of a non-negative integer n as a string of 0s and 1s,
        without leading zeros (the number 0 is written "0").
    """,
    solution=r"""
        def to_binary(n):
            if n == 0:
                return "0"
            digits = []
            while n > 0:
                digits.append(str(n % 2))
                n //= 2
            return "".join(reversed(digits))
    """,
    tests=[((5,), "101"), ((0,), "0"), ((1,), "1"), ((255,), "11111111")],
)

problem(
    id="rounded-average",
    difficulty="introductory",
    statement="""
        Return the average of a non-empty list of integers, rounded to two decimal places.
    """,
    solution=r"""
        def average(nums):
            return round(sum(nums) / len(nums), 2)
    """,
    tests=[(([1, 2],), 1.5), (([1, 2, 2],), 1.67), (([-3],), -3.0)],
)

problem(
    id="word-lengths",
    difficulty="introductory",
    statement="""
        Return a dictionary that maps every distinct word of `sentence` to its length.
        Words are separated by whitespace.
    """,
    solution=r"""
        def word_lengths(sentence):
            return {w: len(w) for w in sentence.split()}
    """,
    tests=[(("hi there",), {"hi": 2, "there": 5}), (("",), {}), (("a a bb",), {"a": 1, "bb": 2})],
)

problem(
    id="remove-vowels",
    difficulty="introductory",
    statement="""
        Return the string `s` with every vowel (a, e, i, o, u, in upper or lower case) removed.
    """,
    solution=r"""
        def remove_vowels(s):
            return "".join(c for c in s if c.lower() not in "aeiou")
    """,
    tests=[(("Hello World",), "Hll Wrld"), (("aeiou",), ""), (("xyz",), "xyz")],
)

problem(
    id="distinct-words",
    difficulty="introductory",
    statement="""
        Return how many different words `text` contains. Words are separated by whitespace and
        compared without regard to case, so "Cat" and "cat" are the same word.
    """,
    solution=r"""
        def distinct_words(text):
            return len({w.lower() for w in text.split()})
    """,
    tests=[(("The cat the CAT hat",), 3), (("",), 0), (("a A a",), 1)],
)

problem(
    id="squares-up-to",
    difficulty="introductory",
    statement="""
        Return, in increasing order, the list of all perfect squares 1, 4, 9, ... that are not
        larger than n (0 <= n <= 10^9).
    """,
    solution=r"""
        def squares_up_to(n):
            out = []
            i = 1
            while i * i <= n:
                out.append(i * i)
                i += 1
            return out
    """,
    tests=[((10,), [1, 4, 9]), ((0,), []), ((16,), [1, 4, 9, 16])],
)

problem(
    id="letter-grade",
    difficulty="introductory",
    statement="""
        Turn a test score between 0 and 100 into a letter grade: 90 or more is "A", 80 to 89 is
        "B", 70 to 79 is "C", 60 to 69 is "D", and below 60 is "F".
    """,
    solution=r"""
        def grade(score):
            if score >= 90:
                return "A"
            if score >= 80:
                return "B"
            if score >= 70:
                return "C"
            if score >= 60:
                return "D"
            return "F"
    """,
    tests=[((95,), "A"), ((60,), "D"), ((59,), "F"), ((80,), "B"), ((100,), "A")],
)

problem(
    id="pascal-row",
    difficulty="introductory",
    statement="""
        Return row n of Pascal's triangle (row 0 is [1], row 1 is [1, 1], and every inner number
        is the sum of the two numbers above it). 0 <= n <= 60.
    """,
    solution=r"""
        def pascal_row(n):
            row = [1]
            for _ in range(n):
                row = [a + b for a, b in zip([0] + row, row + [0])]
            return row
    """,
    tests=[((4,), [1, 4, 6, 4, 1]), ((0,), [1]), ((1,), [1, 1]), ((6,), [1, 6, 15, 20, 15, 6, 1])],
)

# ---------------------------------------------------------------------------------------------
# plain functions, interview
# ---------------------------------------------------------------------------------------------

problem(
    id="group-anagrams",
    difficulty="interview",
    statement="""
        Group the words of a list so that words made of the same letters are in the same group.
        Return the groups, each sorted alphabetically (duplicates kept), and the list of groups
        sorted alphabetically as well (compare groups as lists).
    """,
    solution=r"""
        def group_anagrams(words):
            groups = {}
            for w in words:
                groups.setdefault("".join(sorted(w)), []).append(w)
            return sorted(sorted(g) for g in groups.values())
    """,
    tests=[
        ((["tea", "ate", "bat", "eat", "tab"],), [["ate", "eat", "tea"], ["bat", "tab"]]),
        (([],), []),
        ((["x"],), [["x"]]),
        ((["ab", "ba", "ab"],), [["ab", "ab", "ba"]]),
    ],
)

problem(
    id="roman-to-int",
    difficulty="interview",
    statement="""
        Convert a Roman numeral to an integer. The symbols are I=1, V=5, X=10, L=50, C=100,
        D=500 and M=1000. Values are added from left to right, except that a symbol written
        directly before a larger one is subtracted (IV is 4, XC is 90).
        The input is a valid numeral for a number between 1 and 3999.
    """,
    solution=r"""
        def roman_to_int(s):
            values = {"I": 1, "V": 5, "X": 10, "L": 50, "C": 100, "D": 500, "M": 1000}
            total = 0
            for i, ch in enumerate(s):
                if i + 1 < len(s) and values[s[i + 1]] > values[ch]:
                    total -= values[ch]
                else:
                    total += values[ch]
            return total
    """,
    tests=[(("XIV",), 14), (("MMXXIV",), 2024), (("I",), 1), (("CDXLIV",), 444)],
)

problem(
    id="compress-ranges",
    difficulty="interview",
    statement="""
        A list of distinct non-negative integers is sorted in increasing order. Describe it
        compactly: every maximal run of consecutive numbers a, a+1, ..., b with b > a is written
        "a-b", a lone number is written as itself, and the parts are joined with commas.
        Return "" for an empty list.
    """,
    solution=r"""
        def compress_ranges(nums):
            if not nums:
                return ""
            parts = []
            start = prev = nums[0]
            for x in nums[1:] + [None]:
                if x is not None and x == prev + 1:
                    prev = x
                    continue
                parts.append(str(start) if start == prev else f"{start}-{prev}")
                start = prev = x
            return ",".join(parts)
    """,
    tests=[
        (([1, 2, 3, 5, 7, 8],), "1-3,5,7-8"),
        (([],), ""),
        (([4],), "4"),
        (([0, 2, 4],), "0,2,4"),
    ],
)

problem(
    id="next-bigger-number",
    difficulty="interview",
    statement="""
        Rearrange the digits of a positive integer n to form the smallest number that is strictly
        larger than n. Return -1 if no such number exists. 1 <= n <= 10^15.
    """,
    solution=r"""
        def next_bigger(n):
            digits = list(str(n))
            i = len(digits) - 2
            while i >= 0 and digits[i] >= digits[i + 1]:
                i -= 1
            if i < 0:
                return -1
            j = len(digits) - 1
            while digits[j] <= digits[i]:
                j -= 1
            digits[i], digits[j] = digits[j], digits[i]
            digits[i + 1 :] = reversed(digits[i + 1 :])
            return int("".join(digits))
    """,
    tests=[((12,), 21), ((21,), -1), ((534976,), 536479), ((7,), -1), ((1993,), 3199)],
)

problem(
    id="flatten-nested",
    difficulty="interview",
    statement="""
        A list may contain values and other lists, nested to any depth. Return a flat list of all
        the values that are not lists, in the order they appear from left to right.
    """,
    solution=r"""
        def flatten(nested):
            out = []

            def walk(items):
                for item in items:
                    if isinstance(item, list):
                        walk(item)
                    else:
                        out.append(item)

            walk(nested)
            return out
    """,
    tests=[
        (([1, [2, [3, 4]], 5],), [1, 2, 3, 4, 5]),
        (([],), []),
        (([[[]]],), []),
        (([["a"], "b"],), ["a", "b"]),
    ],
)

problem(
    id="caesar-shift",
    difficulty="interview",
    statement="""
        Encrypt `text` with a Caesar cipher: every English letter is moved `shift` places forward
        in the alphabet, wrapping around from z to a, and keeps its case. Other characters are
        unchanged. `shift` may be negative or larger than 26.
    """,
    solution=r"""
        def caesar(text, shift):
            def rotate(c):
                if c.islower():
                    return chr((ord(c) - ord("a") + shift) % 26 + ord("a"))
                if c.isupper():
                    return chr((ord(c) - ord("A") + shift) % 26 + ord("A"))
                return c

            return "".join(rotate(c) for c in text)
    """,
    entry="caesar",
    tests=[
        (("abc xyz", 3), "def abc"),
        (("Hello, World!", 13), "Uryyb, Jbeyq!"),
        (("", 5), ""),
        (("Az", -1), "Zy"),
    ],
)

problem(
    id="parse-duration",
    difficulty="interview",
    statement="""
        A duration is written as up to three parts in this order: hours like "2h", minutes like
        "30m" and seconds like "15s"; any part may be left out but at least one is present, and
        there are no spaces. Return the duration in seconds, or -1 if the text is not a valid
        duration (empty, unknown unit, wrong order, ...).
    """,
    solution=r"""
        import re


        def parse_duration(text):
            match = re.fullmatch(r"(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?", text)
            if not text or match is None:
                return -1
            hours, minutes, seconds = (int(g) if g else 0 for g in match.groups())
            return hours * 3600 + minutes * 60 + seconds
    """,
    tests=[
        (("1h30m15s",), 5415),
        (("45s",), 45),
        (("2h",), 7200),
        (("",), -1),
        (("5x",), -1),
        (("10m5h",), -1),
    ],
)

problem(
    id="min-platforms",
    difficulty="interview",
    statement="""
        A station receives trains: train i arrives at time arrivals[i] and leaves at time
        departures[i] (arrivals[i] <= departures[i]). A train occupies a platform from its arrival
        to its departure, both included, so a train arriving at the minute another one leaves
        needs a different platform. Return the smallest number of platforms needed.
        1 <= number of trains <= 10^5.
    """,
    solution=r"""
        def min_platforms(arrivals, departures):
            arr = sorted(arrivals)
            dep = sorted(departures)
            i = j = 0
            current = best = 0
            while i < len(arr):
                if arr[i] <= dep[j]:
                    current += 1
                    best = max(best, current)
                    i += 1
                else:
                    current -= 1
                    j += 1
            return best
    """,
    tests=[
        (([100, 130, 200], [120, 210, 230]), 2),
        (([5], [6]), 1),
        (([1, 1, 1], [2, 2, 2]), 3),
        (([1, 3, 5], [2, 4, 6]), 1),
        (([10, 20], [20, 30]), 2),
    ],
)

# ---------------------------------------------------------------------------------------------
# class Solution, introductory
# ---------------------------------------------------------------------------------------------

problem(
    id="sum-of-squares",
    difficulty="introductory",
    statement="""
        Given an integer n (0 <= n <= 10^4), return 1^2 + 2^2 + ... + n^2.
    """,
    solution=r"""
        class Solution:
            def sumOfSquares(self, n: int) -> int:
                return sum(i * i for i in range(1, n + 1))
    """,
    tests=[((3,), 14), ((1,), 1), ((0,), 0), ((10,), 385)],
)

problem(
    id="best-single-trade",
    difficulty="introductory",
    statement="""
        prices[i] is the price of a share on day i. You may buy one share on some day and sell it
        on a later day. Return the largest profit you can make, or 0 if no trade makes a profit.
        1 <= prices.length <= 10^5.
    """,
    solution=r"""
        from typing import List


        class Solution:
            def maxGain(self, prices: List[int]) -> int:
                lowest = prices[0]
                best = 0
                for p in prices:
                    lowest = min(lowest, p)
                    best = max(best, p - lowest)
                return best
    """,
    tests=[(([4, 2, 7, 1, 5],), 5), (([5, 4, 3],), 0), (([3],), 0), (([1, 9],), 8)],
)

problem(
    id="palindrome-number",
    difficulty="introductory",
    statement="""
        Return True if the decimal digits of the integer x read the same forwards and backwards.
        Negative numbers are never palindromes because of the minus sign.
    """,
    solution=r"""
        class Solution:
            def isNumberPalindrome(self, x: int) -> bool:
                if x < 0:
                    return False
                digits = str(x)
                return digits == digits[::-1]
    """,
    tests=[((121,), True), ((-121,), False), ((10,), False), ((0,), True)],
)

problem(
    id="longest-word",
    difficulty="introductory",
    statement="""
        Return the longest string in the non-empty list `words`. If several are equally long,
        return the one that comes first.
    """,
    solution=r"""
        from typing import List


        class Solution:
            def longestWord(self, words: List[str]) -> str:
                best = words[0]
                for w in words:
                    if len(w) > len(best):
                        best = w
                return best
    """,
    tests=[((["a", "abc", "ab", "xyz"],), "abc"), ((["solo"],), "solo"), ((["", "b"],), "b")],
)

problem(
    id="missing-number",
    difficulty="introductory",
    statement="""
        The list `nums` holds n distinct numbers taken from 0, 1, ..., n, so exactly one number of
        that range is missing. Return it. 1 <= n <= 10^4.
    """,
    solution=r"""
        from typing import List


        class Solution:
            def missingNumber(self, nums: List[int]) -> int:
                n = len(nums)
                return n * (n + 1) // 2 - sum(nums)
    """,
    tests=[(([0, 1, 3],), 2), (([1],), 0), (([0],), 1), (([4, 2, 0, 1],), 3)],
)

# ---------------------------------------------------------------------------------------------
# class Solution, interview
# ---------------------------------------------------------------------------------------------

problem(
    id="count-islands",
    difficulty="interview",
    statement="""
        `grid` is a map where 1 is land and 0 is water. An island is a group of land cells
        connected horizontally or vertically. Return the number of islands.
        1 <= rows, columns <= 300.
    """,
    solution=r"""
        from typing import List


        class Solution:
            def numIslands(self, grid: List[List[int]]) -> int:
                rows, cols = len(grid), len(grid[0])
                seen = set()
                islands = 0
                for r in range(rows):
                    for c in range(cols):
                        if grid[r][c] != 1 or (r, c) in seen:
                            continue
                        islands += 1
                        seen.add((r, c))
                        stack = [(r, c)]
                        while stack:
                            i, j = stack.pop()
                            for ni, nj in ((i + 1, j), (i - 1, j), (i, j + 1), (i, j - 1)):
                                if 0 <= ni < rows and 0 <= nj < cols and grid[ni][nj] == 1 and (ni, nj) not in seen:
                                    seen.add((ni, nj))
                                    stack.append((ni, nj))
                return islands
    """,
    tests=[
        (([[1, 1, 0], [0, 1, 0], [1, 0, 1]],), 3),
        (([[0]],), 0),
        (([[1, 1], [1, 1]],), 1),
        (([[1, 0, 1, 0, 1]],), 3),
    ],
)

problem(
    id="longest-increasing",
    difficulty="interview",
    statement="""
        Return the length of the longest strictly increasing subsequence of `nums` (elements
        picked in their original order, not necessarily next to each other).
        0 <= nums.length <= 10^5.
    """,
    solution=r"""
        import bisect
        from typing import List


        class Solution:
            def longestIncreasing(self, nums: List[int]) -> int:
                tails = []
                for x in nums:
                    k = bisect.bisect_left(tails, x)
                    if k == len(tails):
                        tails.append(x)
                    else:
                        tails[k] = x
                return len(tails)
    """,
    tests=[(([3, 1, 4, 1, 5, 9, 2, 6],), 4), (([],), 0), (([5, 5, 5],), 1), (([1, 2, 3],), 3)],
)

problem(
    id="min-path-sum",
    difficulty="interview",
    statement="""
        `grid` holds non-negative numbers. Walk from the top-left cell to the bottom-right cell,
        moving only right or down. Return the smallest possible sum of the cells on the path,
        both ends included. 1 <= rows, columns <= 200.
    """,
    solution=r"""
        from typing import List


        class Solution:
            def minPathSum(self, grid: List[List[int]]) -> int:
                rows, cols = len(grid), len(grid[0])
                best = [[0] * cols for _ in range(rows)]
                for i in range(rows):
                    for j in range(cols):
                        if i == 0 and j == 0:
                            best[i][j] = grid[i][j]
                        elif i == 0:
                            best[i][j] = best[i][j - 1] + grid[i][j]
                        elif j == 0:
                            best[i][j] = best[i - 1][j] + grid[i][j]
                        else:
                            best[i][j] = min(best[i - 1][j], best[i][j - 1]) + grid[i][j]
                return best[-1][-1]
    """,
    tests=[
        (([[2, 1, 9], [5, 1, 1], [3, 8, 1]],), 6),
        (([[7]],), 7),
        (([[1, 2, 3]],), 6),
        (([[1], [2], [3]],), 6),
    ],
)

problem(
    id="others-product",
    difficulty="interview",
    statement="""
        Return a list whose element i is the product of all elements of `nums` except nums[i].
        Do it in linear time and without division (elements may be zero).
        2 <= nums.length <= 10^5.
    """,
    solution=r"""
        from typing import List


        class Solution:
            def othersProduct(self, nums: List[int]) -> List[int]:
                n = len(nums)
                out = [1] * n
                left = 1
                for i in range(n):
                    out[i] = left
                    left *= nums[i]
                right = 1
                for i in range(n - 1, -1, -1):
                    out[i] *= right
                    right *= nums[i]
                return out
    """,
    tests=[
        (([2, 3, 4, 5],), [60, 40, 30, 24]),
        (([0, 4, 2],), [8, 0, 0]),
        (([5, 7],), [7, 5]),
        (([1, 0, 0],), [0, 0, 0]),
    ],
)

problem(
    id="max-water",
    difficulty="interview",
    statement="""
        heights[i] is the height of a vertical wall standing at position i. Choose two walls; the
        water they hold is the distance between them times the height of the lower one.
        Return the largest amount of water two walls can hold. 2 <= heights.length <= 10^5.
    """,
    solution=r"""
        from typing import List


        class Solution:
            def maxWater(self, heights: List[int]) -> int:
                left, right = 0, len(heights) - 1
                best = 0
                while left < right:
                    best = max(best, (right - left) * min(heights[left], heights[right]))
                    if heights[left] < heights[right]:
                        left += 1
                    else:
                        right -= 1
                return best
    """,
    tests=[(([3, 1, 2, 4],), 9), (([1, 1],), 1), (([5, 2, 5],), 10), (([1, 2, 3, 4, 5],), 6)],
)

problem(
    id="equal-halves",
    difficulty="interview",
    statement="""
        Can the positive integers in `nums` be divided into two groups with equal sums? Every
        number goes into exactly one group. 1 <= nums.length <= 200, 1 <= nums[i] <= 100.
    """,
    solution=r"""
        from typing import List


        class Solution:
            def canSplitEqual(self, nums: List[int]) -> bool:
                total = sum(nums)
                if total % 2:
                    return False
                reachable = 1
                for x in nums:
                    reachable |= reachable << x
                return bool(reachable >> (total // 2) & 1)
    """,
    tests=[(([3, 1, 4, 2],), True), (([1, 2, 5],), False), (([2],), False), (([7, 7],), True)],
)

problem(
    id="fewest-jumps",
    difficulty="interview",
    statement="""
        You stand on index 0 of `nums`; from index i you may jump forward by any distance from 1
        to nums[i]. Return the smallest number of jumps that reaches the last index. The last
        index is always reachable. 1 <= nums.length <= 10^5.
    """,
    solution=r"""
        from typing import List


        class Solution:
            def minJumps(self, nums: List[int]) -> int:
                jumps = 0
                end = farthest = 0
                for i in range(len(nums) - 1):
                    farthest = max(farthest, i + nums[i])
                    if i == end:
                        jumps += 1
                        end = farthest
                return jumps
    """,
    tests=[(([1, 3, 1, 1, 1],), 2), (([0],), 0), (([1, 1, 1],), 2), (([4, 1, 1, 1, 1],), 1)],
)

problem(
    id="subarrays-with-sum",
    difficulty="interview",
    statement="""
        Return the number of non-empty blocks of consecutive elements of `nums` whose sum is
        exactly k. Elements may be negative. 1 <= nums.length <= 10^5.
    """,
    solution=r"""
        from typing import List


        class Solution:
            def countSubarrays(self, nums: List[int], k: int) -> int:
                seen = {0: 1}
                prefix = 0
                count = 0
                for x in nums:
                    prefix += x
                    count += seen.get(prefix - k, 0)
                    seen[prefix] = seen.get(prefix, 0) + 1
                return count
    """,
    tests=[(([1, 2, 3], 3), 2), (([1, -1, 0], 0), 3), (([5], 5), 1), (([1, 1, 1], 2), 2)],
)

problem(
    id="decode-count",
    difficulty="interview",
    statement="""
        A message of letters was encoded with A -> "1", B -> "2", ..., Z -> "26" and the codes
        were written one after another. Given the string of digits `s`, return in how many ways
        it can be decoded back into letters. A code never has a leading zero, so "06" is not a
        letter. 1 <= s.length <= 100.
    """,
    solution=r"""
        class Solution:
            def decodeCount(self, s: str) -> int:
                before, last = 1, 1 if s[0] != "0" else 0
                for i in range(1, len(s)):
                    current = 0
                    if s[i] != "0":
                        current += last
                    if 10 <= int(s[i - 1 : i + 1]) <= 26:
                        current += before
                    before, last = last, current
                return last
    """,
    tests=[(("123",), 3), (("0",), 0), (("10",), 1), (("2611",), 4)],
)

problem(
    id="most-frequent-values",
    difficulty="interview",
    statement="""
        Return the k values that occur most often in `nums`, most frequent first; values that
        occur equally often are ordered from smallest to largest. 1 <= k <= number of distinct
        values.
    """,
    solution=r"""
        import heapq
        from collections import Counter
        from typing import List


        class Solution:
            def topKFrequent(self, nums: List[int], k: int) -> List[int]:
                counts = Counter(nums)
                top = heapq.nsmallest(k, counts.items(), key=lambda kv: (-kv[1], kv[0]))
                return [value for value, _ in top]
    """,
    tests=[(([4, 4, 6, 6, 6, 1], 2), [6, 4]), (([9], 1), [9]), (([3, 1, 2, 1, 2, 3], 2), [1, 2])],
)

problem(
    id="edit-distance",
    difficulty="interview",
    statement="""
        Return the smallest number of single-character edits (insert a character, delete a
        character, or replace one character by another) that turn string a into string b.
        0 <= a.length, b.length <= 500.
    """,
    solution=r"""
        class Solution:
            def editDistance(self, a: str, b: str) -> int:
                prev = list(range(len(b) + 1))
                for i, ca in enumerate(a, 1):
                    cur = [i]
                    for j, cb in enumerate(b, 1):
                        if ca == cb:
                            cur.append(prev[j - 1])
                        else:
                            cur.append(1 + min(prev[j - 1], prev[j], cur[j - 1]))
                    prev = cur
                return prev[-1]
    """,
    tests=[(("kitten", "sitting"), 3), (("", "abc"), 3), (("same", "same"), 0), (("ab", "ba"), 2)],
)

problem(
    id="fewest-steps-to-n",
    difficulty="interview",
    statement="""
        Start from the number 1. In one step you may add 1, multiply by 2, or multiply by 3.
        Return the smallest number of steps needed to reach exactly n (1 <= n <= 10^6).
    """,
    solution=r"""
        class Solution:
            def fewestSteps(self, n: int) -> int:
                steps = [0] * (n + 1)
                for i in range(2, n + 1):
                    best = steps[i - 1] + 1
                    if i % 2 == 0:
                        best = min(best, steps[i // 2] + 1)
                    if i % 3 == 0:
                        best = min(best, steps[i // 3] + 1)
                    steps[i] = best
                return steps[n]
    """,
    tests=[((1,), 0), ((10,), 3), ((6,), 2), ((7,), 3), ((100,), 7)],
)
