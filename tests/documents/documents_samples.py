"""Realistic sample contexts for the six document kinds (tests and benchmark)."""

from __future__ import annotations

import copy
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

CST = timezone(timedelta(hours=8))
BASE_URL = "https://odr.example.cn"
ORG_NAME = "诸暨市暨阳街道人民调解委员会"
COURT_NAME = "浙江省诸暨市人民法院"
AGREEMENT_NO = "(2026)暨阳人调字第15号"
RULING_NO = "(2026)浙0681民特123号"
CASE_NO = "ODR-2026-000123"

APPLICANT = {
    "name": "张三丰",
    "kind": "person",
    "gender": "男",
    "birth_date": date(1985, 3, 2),
    "ethnicity": "汉族",
    "id_number": "11010519491231002X",
    "phone": "13812345678",
    "address": "浙江省诸暨市暨阳街道艮塔西路88号",
}
RESPONDENT = {
    "name": "诸暨市恒达建材有限公司",
    "kind": "organization",
    "id_number": "91350100M000100Y43",
    "phone": "057587001234",
    "address": "浙江省诸暨市陶朱街道望云路16号",
    "legal_representative": "李四海",
    "representative_title": "该公司执行董事",
    "agent": {"name": "王五", "description": "浙江暨阳律师事务所律师"},
}
SIGNED = datetime(2026, 11, 23, 14, 5, tzinfo=CST)

FACTS = (
    "2025年6月1日，被申请人因经营周转需要向申请人借款人民币12,000元，约定于2025年12月31日前归还，"
    "并按年利率6%支付利息。申请人当日通过银行转账向被申请人交付了借款。\n"
    "借款到期后，申请人多次催讨，被申请人以资金紧张为由未予归还，双方由此发生纠纷。"
)


def verification(code: str) -> dict[str, str]:
    return {"code": code, "url": f"{BASE_URL}/verify/{code}"}


def _samples() -> dict[str, dict[str, Any]]:
    parties = {"applicants": [APPLICANT], "respondents": [RESPONDENT]}
    org = {"name": ORG_NAME}
    agreement = {"number": AGREEMENT_NO, "organization": ORG_NAME, "date": date(2026, 11, 23)}
    return {
        "mediation_application": {
            "doc_number": CASE_NO,
            "verification": verification("APP-7K2M-9Q4X"),
            "organization": org,
            **parties,
            "dispute_type": "民间借贷纠纷",
            "claims": [
                {"text": "请求被申请人归还借款本金", "amount": Decimal("12000")},
                {"text": "请求被申请人支付自2026年1月1日起的逾期利息", "amount": Decimal("1500.50")},
            ],
            "facts": FACTS,
            "evidence": ["借条一份", "银行转账凭证一份", "微信聊天记录截图三页"],
            "date": date(2026, 11, 2),
        },
        "minutes": {
            "doc_number": CASE_NO,
            "verification": verification("MIN-3H8D-2P6W"),
            "organization": org,
            "case_title": "张三丰与诸暨市恒达建材有限公司民间借贷纠纷",
            "started_at": datetime(2026, 11, 20, 9, 30, tzinfo=CST),
            "ended_at": datetime(2026, 11, 20, 11, 10, tzinfo=CST),
            "mediator": {"name": "赵六"},
            "recorder": {"name": "钱七"},
            "attendees": [
                {"role": "申请人", "name": "张三丰", "note": "本人"},
                {"role": "被申请人", "name": "诸暨市恒达建材有限公司", "note": "委托代理人王五"},
            ],
            "record": [
                {"speaker": "调解员", "text": "今天依法对双方的民间借贷纠纷进行线上视频调解。调解遵循自愿、平等原则，"
                 "调解过程中为达成协议所作的让步，不得在其后的诉讼中作为对其不利的根据。双方是否申请调解员回避？"},
                {"speaker": "申请人张三丰", "text": "不申请回避。"},
                {"speaker": "被申请人委托代理人王五", "text": "不申请回避。对借款事实没有异议。"},
                {"speaker": "", "text": "经调解，双方就还款金额和期限达成一致意见，详见调解协议书。"},
            ],
            "confirmations": [
                {"role": "申请人", "name": "张三丰", "signed_at": SIGNED},
                {"role": "被申请人委托代理人", "name": "王五", "signed_at": SIGNED},
            ],
        },
        "settlement_agreement": {
            "doc_number": AGREEMENT_NO,
            "verification": verification("AGR-5T7N-8C3V"),
            "organization": org,
            **parties,
            "dispute_type": "民间借贷纠纷",
            "facts": FACTS,
            "issues": ["借款本金的归还期限", "逾期利息的计算标准"],
            "responsibilities": "被申请人逾期未归还借款，应承担归还借款本金并支付逾期利息的责任；"
                                "申请人同意减免部分利息。",
            "terms": [
                {"kind": "payment", "obligor": "诸暨市恒达建材有限公司", "obligee": "张三丰",
                 "amount": Decimal("12000"), "due_date": date(2026, 12, 31), "method": "银行转账",
                 "description": "借款本金", "account": "中国农业银行诸暨支行 6228 **** **** 1234"},
                {"kind": "payment", "obligor": "诸暨市恒达建材有限公司", "obligee": "张三丰",
                 "amount": Decimal("800.50"), "due_date": date(2027, 1, 31), "method": "银行转账",
                 "description": "利息"},
                {"kind": "act", "obligor": "张三丰", "due_date": date(2027, 1, 31),
                 "text": "在收到全部款项后将借条原件退还诸暨市恒达建材有限公司。"},
                {"kind": "text", "text": "双方就本纠纷再无其他争议。"},
            ],
            "performance": "被申请人按第（一）（二）项约定的期限一次性付清；逾期未付的，申请人可依法申请司法确认后申请强制执行。",
            "signatures": [
                {"role": "申请人", "name": "张三丰", "signed_at": SIGNED},
                {"role": "被申请人", "name": "诸暨市恒达建材有限公司", "signed_at": SIGNED},
            ],
            "mediator": {"name": "赵六", "signed_at": SIGNED},
            "seal": {"applied_at": SIGNED},
            "date": date(2026, 11, 23),
        },
        "termination_notice": {
            "doc_number": CASE_NO,
            "verification": verification("TRM-4F9J-6L2R"),
            "organization": org,
            **parties,
            "dispute_type": "民间借贷纠纷",
            "accepted_date": date(2026, 11, 3),
            "reason_code": "party_unwilling",
            "reason_detail": "被申请人于2026年11月20日明确表示不同意继续调解。",
            "process": "本委员会受理后，于2026年11月20日组织双方进行线上视频调解。双方对借款事实无争议，但对还款期限分歧较大。",
            "cost_conduct": "",
            "date": date(2026, 11, 21),
        },
        "confirmation_application": {
            "doc_number": AGREEMENT_NO,
            "verification": verification("CNF-8W2E-5Y7U"),
            "court": {"name": COURT_NAME},
            "applicants": [APPLICANT, RESPONDENT],
            "agreement": agreement,
            "facts": "申请人因民间借贷发生纠纷，经" + ORG_NAME + "主持调解，于2026年11月23日自愿达成调解协议。"
                     "该协议系双方真实意思表示，不违反法律、行政法规的强制性规定，不损害国家利益、社会公共利益和他人合法权益。",
            "attachments": ["人民调解协议书一份", "调解组织主持调解的证明一份", "申请人身份证明、营业执照及法定代表人身份证明",
                            "授权委托书一份"],
            "signatures": [
                {"role": "申请人", "name": "张三丰", "signed_at": SIGNED},
                {"role": "申请人", "name": "诸暨市恒达建材有限公司", "signed_at": SIGNED},
            ],
            "date": date(2026, 11, 24),
        },
        "ruling": {
            "doc_number": RULING_NO,
            "verification": verification("RUL-2B6G-9K4Z"),
            "court": {"name": COURT_NAME},
            "applicants": [APPLICANT, RESPONDENT],
            "agreement": agreement,
            "agreement_terms": [
                "诸暨市恒达建材有限公司于二〇二六年十二月三十一日前通过银行转账向张三丰支付借款本金12,000.00元；",
                "诸暨市恒达建材有限公司于二〇二七年一月三十一日前通过银行转账向张三丰支付利息800.50元。",
            ],
            "filed_date": date(2026, 11, 24),
            "outcome": "confirmed",
            "rejection_grounds": [],
            "rejection_detail": "",
            "judge": {"name": "孙审判"},
            "clerk": {"name": "周书记"},
            "seal": True,
            "date": date(2026, 11, 26),
        },
    }


def sample_context(kind: str, **overrides: Any) -> dict[str, Any]:
    """A deep copy of the sample context of ``kind`` with top-level overrides."""
    context = copy.deepcopy(_samples()[kind])
    context.update(overrides)
    return context


TITLES = {
    "mediation_application": ("人民调解申请书", ORG_NAME),
    "minutes": ("调解笔录", ORG_NAME),
    "settlement_agreement": ("人民调解协议书", ORG_NAME),
    "termination_notice": ("调解终结书", ORG_NAME),
    "confirmation_application": ("司法确认申请书", COURT_NAME),
    "ruling": ("民事裁定书", COURT_NAME),
}
