"""Chinese names for the demo registry (演示姓名): common surnames of western Fujian and given names.

The lists are small and hand-made (no external data). Sanming's Hakka counties (宁化 is the
"客家祖地" of 石壁) have many 张、李、刘、黄、罗、邱、巫、伍、曾、赖 households; the 畲族 surnames
are 雷、蓝、钟. Each village gets two or three dominant surnames (clan villages, 宗族村落), as real
villages do. Given names are one or two characters, with a generation feel by birth decade.
"""

from __future__ import annotations

import random

SURNAMES = (
    "张", "李", "刘", "陈", "黄", "林", "王", "吴", "罗", "邱", "廖", "曾", "赖", "邓", "温", "巫",
    "伍", "谢", "杨", "徐", "朱", "丁", "钟", "雷", "肖", "范", "饶", "官", "姜", "胡", "夏", "叶",
    "余", "郑", "魏", "江", "吕", "涂", "卢", "严", "池", "连", "戴", "翁", "傅", "曹", "童", "詹",
)
SHE_SURNAMES = ("雷", "蓝", "钟")
HUI_SURNAMES = ("马", "丁", "哈")

_MALE = (
    "建", "国", "华", "明", "金", "春", "长", "水", "生", "福", "财", "德", "永", "荣", "庆", "祥", "发",
    "林", "文", "志", "忠", "强", "军", "平", "贵", "良", "有", "昌", "炳", "根", "木", "土", "旺", "来",
)
_MALE_YOUNG = (
    "伟", "杰", "浩", "宇", "涛", "斌", "鹏", "俊", "辉", "磊", "鑫", "超", "凯", "晨", "博", "轩", "睿",
    "豪", "航", "泽", "亮", "宏", "毅", "锋", "峰",
)
_FEMALE = (
    "秀", "英", "兰", "凤", "珍", "桂", "花", "梅", "玉", "莲", "金", "娣", "妹", "香", "菊", "春",
    "招", "满", "月", "芳", "美", "仙", "娇", "荣",
)
_FEMALE_YOUNG = (
    "丽", "婷", "娟", "敏", "静", "燕", "琳", "雪", "萍", "慧", "颖", "欣", "怡", "佳", "琪", "悦", "晴",
    "雨", "诗", "涵", "梦", "蕾", "媛", "倩",
)


def village_surnames(rng: random.Random, *, she: bool = False, hui: bool = False) -> tuple[str, ...]:
    """Two or three dominant surnames of one village."""
    pool = SHE_SURNAMES if she else HUI_SURNAMES if hui else SURNAMES
    return tuple(rng.sample(pool, k=min(len(pool), rng.choice((2, 2, 3)))))


def surname(rng: random.Random, dominant: tuple[str, ...]) -> str:
    """A surname: half the time one of the village's dominant ones."""
    if dominant and rng.random() < 0.5:
        return rng.choice(dominant)
    return rng.choice(SURNAMES)


def given_name(rng: random.Random, sex: str, birth_year: int) -> str:
    """One or two characters; the young get the newer characters more often."""
    young = birth_year >= 1980
    if sex == "1":
        pools = (_MALE_YOUNG, _MALE) if young else (_MALE, _MALE_YOUNG)
    else:
        pools = (_FEMALE_YOUNG, _FEMALE) if young else (_FEMALE, _FEMALE_YOUNG)
    first = rng.choice(pools[0] if rng.random() < 0.8 else pools[1])
    if rng.random() < (0.35 if young else 0.15):
        return first
    second = rng.choice(pools[0])
    return first + second if second != first else first + rng.choice(pools[1])
