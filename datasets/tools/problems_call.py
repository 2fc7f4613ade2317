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

#: Problems are added in batches. build_builtin.py puts every problem of batch 1 (of both files)
#: before any of batch 2, so new problems are appended and never move an existing one.
BATCH = 1


def problem(**fields):
    fields.setdefault("batch", BATCH)
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


# =============================================================================================
# batch 2: appended after every batch-1 problem of both files (see BATCH above)
# =============================================================================================

BATCH = 2

# ---------------------------------------------------------------------------------------------
# plain functions, introductory
# ---------------------------------------------------------------------------------------------

problem(
    id="reverse-each-word",
    difficulty="introductory",
    statement="""
        Words in `sentence` are separated by single spaces. Return the sentence with the letters
        of every word reversed, keeping the words in their order.
    """,
    solution=r"""
        def reverse_each_word(sentence):
            return " ".join(word[::-1] for word in sentence.split(" "))
    """,
    tests=[
        (("hello world",), "olleh dlrow"),
        (("",), ""),
        (("a",), "a"),
        (("stressed desserts",), "desserts stressed"),
    ],
)

problem(
    id="count-digits",
    difficulty="introductory",
    statement="""
        Return the number of decimal digits of the integer `n`. A minus sign is not a digit, and
        0 has one digit.
    """,
    solution=r"""
        def count_digits(n):
            return len(str(abs(n)))
    """,
    tests=[((12345,), 5), ((0,), 1), ((-907,), 3), ((1000000,), 7)],
)

problem(
    id="sum-of-positives",
    difficulty="introductory",
    statement="""
        Return the sum of the numbers of the list `nums` that are greater than zero (0 for an
        empty list or a list without positive numbers).
    """,
    solution=r"""
        def sum_positive(nums):
            return sum(x for x in nums if x > 0)
    """,
    tests=[(([1, -4, 7, 12],), 20), (([],), 0), (([-1, -2],), 0), (([0, 5],), 5)],
)

problem(
    id="common-prefix",
    difficulty="introductory",
    statement="""
        Return the longest string that every word of the non-empty list `words` starts with
        (the empty string if the words do not all start with the same letter).
    """,
    solution=r"""
        def common_prefix(words):
            prefix = words[0]
            for word in words[1:]:
                while not word.startswith(prefix):
                    prefix = prefix[:-1]
            return prefix
    """,
    tests=[
        ((["interval", "internet", "interior"],), "inter"),
        ((["solo"],), "solo"),
        ((["abc", "xyz"],), ""),
        ((["same", "same", "same"],), "same"),
        ((["ab", "a", "abc"],), "a"),
    ],
)

problem(
    id="is-pangram",
    difficulty="introductory",
    statement="""
        Return True if the string `text` contains every letter of the English alphabet at least
        once, in upper or lower case, and False otherwise. Other characters do not matter.
    """,
    solution=r"""
        def is_pangram(text):
            return set("abcdefghijklmnopqrstuvwxyz") <= set(text.lower())
    """,
    tests=[
        (("Pack my box with five dozen liquor jugs.",), True),
        (("hello world",), False),
        (("",), False),
        (("ABCDEFGHIJKLM nopqrstuvwxyz!",), True),
        (("abcdefghijklmnopqrstuvwxy",), False),
    ],
)

problem(
    id="product-of-list",
    difficulty="introductory",
    statement="""
        Return the product of all numbers in the list `nums`. The product of an empty list is 1.
    """,
    solution=r"""
        def product(nums):
            result = 1
            for x in nums:
                result *= x
            return result
    """,
    tests=[(([2, 3, 4],), 24), (([],), 1), (([5, 0, 7],), 0), (([-2, -3, -1],), -6)],
)

problem(
    id="first-occurrences",
    difficulty="introductory",
    statement="""
        Return the elements of the list `items` without repeats: keep the first occurrence of
        each value, drop the later ones, and keep the order.
    """,
    solution=r"""
        def keep_first(items):
            seen = set()
            out = []
            for x in items:
                if x not in seen:
                    seen.add(x)
                    out.append(x)
            return out
    """,
    tests=[
        (([3, 1, 3, 2, 1],), [3, 1, 2]),
        (([],), []),
        (([7, 7, 7],), [7]),
        ((["b", "a", "b"],), ["b", "a"]),
    ],
)

problem(
    id="chunk-list",
    difficulty="introductory",
    statement="""
        Cut the list `items` into consecutive pieces of `size` elements (size >= 1) and return
        the list of pieces. The last piece is shorter when the elements do not divide evenly.
    """,
    solution=r"""
        def chunks(items, size):
            return [items[i:i + size] for i in range(0, len(items), size)]
    """,
    tests=[
        (([1, 2, 3, 4, 5], 2), [[1, 2], [3, 4], [5]]),
        (([], 3), []),
        (([1, 2, 3], 5), [[1, 2, 3]]),
        (([1, 2, 3, 4], 1), [[1], [2], [3], [4]]),
    ],
)

problem(
    id="rotate-right",
    difficulty="introductory",
    statement="""
        Return the list `nums` rotated k places to the right (k >= 0): every element moves k
        positions towards the end, and elements that fall off the end come back at the front.
        k may be larger than the length of the list.
    """,
    solution=r"""
        def rotate_right(nums, k):
            if not nums:
                return []
            k %= len(nums)
            return nums[-k:] + nums[:-k]
    """,
    tests=[
        (([1, 2, 3, 4, 5], 2), [4, 5, 1, 2, 3]),
        (([], 3), []),
        (([1, 2, 3], 3), [1, 2, 3]),
        (([1, 2], 5), [2, 1]),
        (([9], 0), [9]),
    ],
)

problem(
    id="mask-card",
    difficulty="introductory",
    statement="""
        Hide a card number before printing it: return the string `text` with every character
        except the last four replaced by '*'. Strings of four characters or fewer stay as they
        are.
    """,
    solution=r"""
        def mask_card(text):
            return "*" * max(0, len(text) - 4) + text[-4:]
    """,
    tests=[
        (("9876543210123456",), "************3456"),
        (("1234",), "1234"),
        (("",), ""),
        (("abcde",), "*bcde"),
    ],
)

problem(
    id="nth-fibonacci",
    difficulty="introductory",
    statement="""
        The Fibonacci numbers start with F(0) = 0 and F(1) = 1, and each next one is the sum of
        the two before it. Return F(n) for 0 <= n <= 90.
    """,
    solution=r"""
        def fibonacci(n):
            a, b = 0, 1
            for _ in range(n):
                a, b = b, a + b
            return a
    """,
    tests=[((10,), 55), ((0,), 0), ((1,), 1), ((2,), 1), ((50,), 12586269025)],
)

problem(
    id="count-overlapping",
    difficulty="introductory",
    statement="""
        Return how many times the non-empty string `pattern` occurs in `text`, counting
        occurrences that overlap ("aa" occurs 3 times in "aaaa").
    """,
    solution=r"""
        def count_occurrences(text, pattern):
            k = len(pattern)
            return sum(1 for i in range(len(text) - k + 1) if text[i:i + k] == pattern)
    """,
    tests=[
        (("abababa", "aba"), 3),
        (("aaaa", "aa"), 3),
        (("abc", "abcd"), 0),
        (("", "a"), 0),
        (("hello", "l"), 2),
    ],
)

problem(
    id="merge-sorted",
    difficulty="introductory",
    statement="""
        The lists `a` and `b` are each sorted in non-decreasing order. Return one sorted list
        with all the elements of both.
    """,
    solution=r"""
        def merge_sorted(a, b):
            i = j = 0
            out = []
            while i < len(a) and j < len(b):
                if a[i] <= b[j]:
                    out.append(a[i])
                    i += 1
                else:
                    out.append(b[j])
                    j += 1
            return out + a[i:] + b[j:]
    """,
    tests=[
        (([1, 4, 9], [2, 3, 10]), [1, 2, 3, 4, 9, 10]),
        (([], [5]), [5]),
        (([], []), []),
        (([2, 2], [2]), [2, 2, 2]),
    ],
)

problem(
    id="running-maximum",
    difficulty="introductory",
    statement="""
        Return a list as long as `nums` whose element i is the largest of nums[0], ..., nums[i].
    """,
    solution=r"""
        def running_max(nums):
            out = []
            for x in nums:
                out.append(max(out[-1], x) if out else x)
            return out
    """,
    tests=[(([3, 1, 4, 1, 5],), [3, 3, 4, 4, 5]), (([],), []), (([-2, -5, -1],), [-2, -2, -1])],
)

problem(
    id="no-repeated-letters",
    difficulty="introductory",
    statement="""
        Return True if no letter occurs twice in the string `word`, ignoring the difference
        between upper and lower case, and False otherwise. The empty string has no repeats.
    """,
    solution=r"""
        def all_letters_unique(word):
            lower = word.lower()
            return len(set(lower)) == len(lower)
    """,
    tests=[(("Jumbo",), True), (("Letter",), False), (("",), True), (("Aa",), False), (("stream",), True)],
)

# ---------------------------------------------------------------------------------------------
# plain functions, interview
# ---------------------------------------------------------------------------------------------

problem(
    id="int-to-roman",
    difficulty="interview",
    statement="""
        Write the integer n (1 <= n <= 3999) in Roman numerals. The symbols are I = 1, V = 5,
        X = 10, L = 50, C = 100, D = 500 and M = 1000, written from the largest to the smallest
        and added up, except that 4, 9, 40, 90, 400 and 900 are written IV, IX, XL, XC, CD and CM.
    """,
    solution=r"""
        def to_roman(n):
            symbols = [
                (1000, "M"), (900, "CM"), (500, "D"), (400, "CD"), (100, "C"), (90, "XC"),
                (50, "L"), (40, "XL"), (10, "X"), (9, "IX"), (5, "V"), (4, "IV"), (1, "I"),
            ]
            out = ""
            for value, letters in symbols:
                while n >= value:
                    out += letters
                    n -= value
            return out
    """,
    tests=[((2024,), "MMXXIV"), ((1,), "I"), ((3999,), "MMMCMXCIX"), ((444,), "CDXLIV"), ((90,), "XC")],
)

problem(
    id="column-title",
    difficulty="interview",
    statement="""
        A spreadsheet names its columns A, B, ..., Z, then AA, AB, ..., AZ, BA, ..., ZZ, then AAA,
        and so on. Return the name of column number n (n >= 1; column 1 is A, column 27 is AA).
    """,
    solution=r"""
        def column_name(n):
            name = ""
            while n > 0:
                n, r = divmod(n - 1, 26)
                name = chr(ord("A") + r) + name
            return name
    """,
    tests=[((30,), "AD"), ((1,), "A"), ((26,), "Z"), ((702,), "ZZ"), ((703,), "AAA")],
)

problem(
    id="expand-counts",
    difficulty="interview",
    statement="""
        A compressed text writes each run of equal letters as a count followed by the letter:
        "3a2b" stands for "aaabb". Counts are positive and may have several digits, and every
        letter has a count. Return the expanded text of `code`.
    """,
    solution=r"""
        def expand(code):
            out = []
            count = 0
            for ch in code:
                if ch.isdigit():
                    count = count * 10 + int(ch)
                else:
                    out.append(ch * count)
                    count = 0
            return "".join(out)
    """,
    tests=[
        (("3a2b1c",), "aaabbc"),
        (("",), ""),
        (("12x",), "xxxxxxxxxxxx"),
        (("1a1b1a",), "aba"),
    ],
)

problem(
    id="longest-consecutive",
    difficulty="interview",
    statement="""
        Return the size of the largest set of values of `nums` that are consecutive integers
        x, x + 1, ..., x + k - 1, in any order in the list. Repeated values count once. The list
        may be empty and holds at most 10^5 numbers.
    """,
    solution=r"""
        def longest_streak(nums):
            values = set(nums)
            best = 0
            for x in values:
                if x - 1 not in values:
                    y = x
                    while y + 1 in values:
                        y += 1
                    best = max(best, y - x + 1)
            return best
    """,
    tests=[
        (([10, 5, 12, 3, 11, 4, 6],), 4),
        (([],), 0),
        (([7, 7, 7],), 1),
        (([-1, 0, 1, 5],), 3),
    ],
)

problem(
    id="merge-intervals",
    difficulty="interview",
    statement="""
        Each element of `intervals` is a pair [start, end] with start <= end. Merge the intervals
        that overlap or touch (ending where another starts counts) and return the merged
        intervals sorted by start.
    """,
    solution=r"""
        def merge_intervals(intervals):
            merged = []
            for start, end in sorted(intervals):
                if merged and start <= merged[-1][1]:
                    merged[-1][1] = max(merged[-1][1], end)
                else:
                    merged.append([start, end])
            return merged
    """,
    tests=[
        (([[8, 10], [1, 4], [3, 6], [12, 12]],), [[1, 6], [8, 10], [12, 12]]),
        (([],), []),
        (([[1, 3], [3, 5]],), [[1, 5]]),
        (([[1, 10], [2, 3], [4, 5]],), [[1, 10]]),
    ],
)

problem(
    id="wrap-text",
    difficulty="interview",
    statement="""
        Break `text` (words separated by single spaces) into lines of at most `width` characters.
        Fill the lines greedily: put each word on the current line, after a single space, if the
        line stays within `width`, otherwise start a new line with it. No word is longer than
        `width`. Return the list of lines (empty for an empty text).
    """,
    solution=r"""
        def wrap(text, width):
            lines = []
            for word in text.split():
                if lines and len(lines[-1]) + 1 + len(word) <= width:
                    lines[-1] += " " + word
                else:
                    lines.append(word)
            return lines
    """,
    tests=[
        (("the cat sat on the warm mat", 10), ["the cat", "sat on the", "warm mat"]),
        (("", 5), []),
        (("hello", 5), ["hello"]),
        (("a b c d", 3), ["a b", "c d"]),
        (("aa bb", 2), ["aa", "bb"]),
    ],
)

# ---------------------------------------------------------------------------------------------
# class Solution, introductory
# ---------------------------------------------------------------------------------------------

problem(
    id="longest-ones-run",
    difficulty="introductory",
    statement="""
        `bits` is a list of 0s and 1s. Return the length of its longest run of consecutive 1s
        (0 if there is no 1).
    """,
    solution=r"""
        from typing import List


        class Solution:
            def longestOnes(self, bits: List[int]) -> int:
                best = run = 0
                for b in bits:
                    run = run + 1 if b == 1 else 0
                    best = max(best, run)
                return best
    """,
    tests=[(([0, 1, 1, 0, 1, 1, 1, 0, 1],), 3), (([],), 0), (([0, 0],), 0), (([1],), 1)],
)

problem(
    id="power-of-three",
    difficulty="introductory",
    statement="""
        Return True if the integer n is a power of three (1, 3, 9, 27, ...; 1 is 3 to the power 0)
        and False otherwise. n may be zero or negative.
    """,
    solution=r"""
        class Solution:
            def isPowerOfThree(self, n: int) -> bool:
                if n < 1:
                    return False
                while n % 3 == 0:
                    n //= 3
                return n == 1
    """,
    tests=[((81,), True), ((0,), False), ((1,), True), ((45,), False), ((-27,), False)],
)

problem(
    id="shift-zeros",
    difficulty="introductory",
    statement="""
        Return a copy of `nums` with every 0 moved to the end, the other numbers keeping their
        order.
    """,
    solution=r"""
        from typing import List


        class Solution:
            def zerosToEnd(self, nums: List[int]) -> List[int]:
                return [x for x in nums if x != 0] + [0] * nums.count(0)
    """,
    tests=[(([0, 5, 0, 3, 8],), [5, 3, 8, 0, 0]), (([],), []), (([0, 0],), [0, 0]), (([4, -1],), [4, -1])],
)

# ---------------------------------------------------------------------------------------------
# class Solution, interview
# ---------------------------------------------------------------------------------------------

problem(
    id="no-neighbour-stalls",
    difficulty="interview",
    statement="""
        Market stalls stand in a row and amounts[i] is what stall i would pay for a visit. A
        seller may visit any stalls except two neighbouring ones. Return the largest total the
        seller can collect (0 for no stalls). 0 <= amounts[i] <= 10^4.
    """,
    solution=r"""
        from typing import List


        class Solution:
            def bestTotal(self, amounts: List[int]) -> int:
                take = skip = 0
                for x in amounts:
                    take, skip = skip + x, max(take, skip)
                return max(take, skip)
    """,
    tests=[
        (([5, 1, 2, 10, 3],), 15),
        (([],), 0),
        (([7],), 7),
        (([2, 9, 2],), 9),
        (([4, 4, 4, 4],), 8),
    ],
)

problem(
    id="grid-paths-blocked",
    difficulty="interview",
    statement="""
        `grid` is a map where 0 is an open cell and 1 a blocked one. Count the paths from the
        top-left cell to the bottom-right cell that only step right or down and never enter a
        blocked cell (0 if either corner is blocked). 1 <= rows, columns <= 100.
    """,
    solution=r"""
        from typing import List


        class Solution:
            def countPaths(self, grid: List[List[int]]) -> int:
                ways = [0] * len(grid[0])
                ways[0] = 1
                for row in grid:
                    for c, cell in enumerate(row):
                        if cell == 1:
                            ways[c] = 0
                        elif c > 0:
                            ways[c] += ways[c - 1]
                return ways[-1]
    """,
    tests=[
        (([[0, 0, 0, 0], [0, 1, 0, 0], [0, 0, 0, 0]],), 4),
        (([[1]],), 0),
        (([[0]],), 1),
        (([[0, 1], [1, 0]],), 0),
        (([[0, 0], [0, 0]],), 2),
    ],
)

problem(
    id="coin-combinations",
    difficulty="interview",
    statement="""
        Return in how many ways the sum `amount` can be paid with coins whose values are in
        `coins` (distinct positive values, each usable any number of times). Ways that use the
        same coins in another order are the same way. Paying 0 takes one way: no coins.
    """,
    solution=r"""
        from typing import List


        class Solution:
            def countWays(self, amount: int, coins: List[int]) -> int:
                ways = [1] + [0] * amount
                for coin in coins:
                    for v in range(coin, amount + 1):
                        ways[v] += ways[v - coin]
                return ways[amount]
    """,
    tests=[
        ((10, [2, 5, 3]), 4),
        ((0, [7]), 1),
        ((3, [2]), 0),
        ((6, [1, 2, 3]), 7),
        ((5, []), 0),
    ],
)

problem(
    id="word-split",
    difficulty="interview",
    statement="""
        Return True if the string `s` can be cut into pieces that are all in the list `words`
        (a word may be used several times), and False otherwise. The empty string needs no
        pieces.
    """,
    solution=r"""
        from typing import List


        class Solution:
            def canSplit(self, s: str, words: List[str]) -> bool:
                known = set(words)
                ok = [True] + [False] * len(s)
                for i in range(1, len(s) + 1):
                    ok[i] = any(ok[j] and s[j:i] in known for j in range(i))
                return ok[-1]
    """,
    tests=[
        (("sunflowerseed", ["seed", "flower", "sun", "flow"]), True),
        (("catdog", ["cat", "do"]), False),
        (("", ["a"]), True),
        (("aaaa", ["aa"]), True),
        (("aaa", ["aa"]), False),
    ],
)

problem(
    id="shortest-enough-segment",
    difficulty="interview",
    statement="""
        `nums` holds positive integers. Return the length of the shortest contiguous segment of
        `nums` whose sum is at least `target` (target >= 1), or 0 if no segment reaches it.
    """,
    solution=r"""
        from typing import List


        class Solution:
            def shortestSegment(self, nums: List[int], target: int) -> int:
                best = len(nums) + 1
                total = left = 0
                for right, x in enumerate(nums):
                    total += x
                    while total >= target:
                        best = min(best, right - left + 1)
                        total -= nums[left]
                        left += 1
                return best if best <= len(nums) else 0
    """,
    tests=[
        (([1, 4, 2, 6, 3], 9), 2),
        (([1, 1, 1], 5), 0),
        (([10], 3), 1),
        (([2, 2, 2, 2], 8), 4),
    ],
)

problem(
    id="balanced-strings",
    difficulty="interview",
    statement="""
        Return every balanced string of n opening and n closing parentheses (0 <= n <= 8), in
        alphabetical order ('(' comes before ')'). A string is balanced if, read from left to
        right, it never has more ')' than '(' so far.
    """,
    solution=r"""
        from typing import List


        class Solution:
            def allBalanced(self, n: int) -> List[str]:
                out = []

                def build(text, opened, closed):
                    if len(text) == 2 * n:
                        out.append(text)
                        return
                    if opened < n:
                        build(text + "(", opened + 1, closed)
                    if closed < opened:
                        build(text + ")", opened, closed + 1)

                build("", 0, 0)
                return out
    """,
    tests=[
        ((2,), ["(())", "()()"]),
        ((0,), [""]),
        ((1,), ["()"]),
        ((3,), ["((()))", "(()())", "(())()", "()(())", "()()()"]),
    ],
)

problem(
    id="spreading-mold",
    difficulty="interview",
    statement="""
        A shelf of bread is a grid: 0 is an empty place, 1 a fresh loaf and 2 a mouldy one. Every
        minute, each fresh loaf next to a mouldy one (up, down, left or right) becomes mouldy.
        Return the number of minutes until no fresh loaf is left, or -1 if some loaf stays fresh
        forever. 1 <= rows, columns <= 100.
    """,
    solution=r"""
        from collections import deque
        from typing import List


        class Solution:
            def minutesToSpread(self, grid: List[List[int]]) -> int:
                rows, cols = len(grid), len(grid[0])
                queue = deque((r, c) for r in range(rows) for c in range(cols) if grid[r][c] == 2)
                fresh = sum(row.count(1) for row in grid)
                minutes = 0
                while queue and fresh:
                    for _ in range(len(queue)):
                        r, c = queue.popleft()
                        for nr, nc in ((r + 1, c), (r - 1, c), (r, c + 1), (r, c - 1)):
                            if 0 <= nr < rows and 0 <= nc < cols and grid[nr][nc] == 1:
                                grid[nr][nc] = 2
                                fresh -= 1
                                queue.append((nr, nc))
                    minutes += 1
                return minutes if fresh == 0 else -1
    """,
    tests=[
        (([[2, 1, 1], [0, 0, 1], [1, 1, 1]],), 6),
        (([[0]],), 0),
        (([[1]],), -1),
        (([[2, 2], [2, 2]],), 0),
        (([[1, 0, 2]],), -1),
        (([[2, 1, 1, 1, 2]],), 2),
    ],
)

problem(
    id="signs-to-target",
    difficulty="interview",
    statement="""
        Put a + or a - sign in front of every number of `nums` (0 <= nums[i] <= 1000, at most 20
        numbers) and add them up. Return in how many ways of choosing the signs the total equals
        `target`. With no numbers the total is 0.
    """,
    solution=r"""
        from collections import Counter
        from typing import List


        class Solution:
            def countSignings(self, nums: List[int], target: int) -> int:
                counts = Counter({0: 1})
                for x in nums:
                    nxt = Counter()
                    for total, ways in counts.items():
                        nxt[total + x] += ways
                        nxt[total - x] += ways
                    counts = nxt
                return counts[target]
    """,
    tests=[
        (([1, 2, 3], 0), 2),
        (([], 0), 1),
        (([], 5), 0),
        (([0, 4], 4), 2),
        (([5], 3), 0),
        (([1, 1, 1, 1], 2), 4),
    ],
)

problem(
    id="join-planks",
    difficulty="interview",
    statement="""
        A carpenter glues planks end to end until one plank is left. Gluing two planks of lengths
        a and b costs a + b and gives a plank of length a + b. `planks` holds the starting
        lengths; return the smallest total cost of gluing them all into one (0 for one plank or
        none).
    """,
    solution=r"""
        import heapq
        from typing import List


        class Solution:
            def minJoinCost(self, planks: List[int]) -> int:
                heap = list(planks)
                heapq.heapify(heap)
                cost = 0
                while len(heap) > 1:
                    a = heapq.heappop(heap)
                    b = heapq.heappop(heap)
                    cost += a + b
                    heapq.heappush(heap, a + b)
                return cost
    """,
    tests=[
        (([8, 1, 3, 5],), 30),
        (([],), 0),
        (([7],), 0),
        (([1, 1, 1, 1],), 8),
        (([5, 5],), 10),
    ],
)
