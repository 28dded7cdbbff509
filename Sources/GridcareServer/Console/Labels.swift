import GridcareCore

/// The console's words for the service's values, in the glossary's terms (../shared/PRODUCT.md).
enum Labels {
    static func role(_ r: Role) -> String {
        switch r {
        case .admin: "管理员"
        case .centreStaff: "家庭医生团队"
        case .gridWorker: "网格员"
        case .hospitalStaff: "定点医院"
        case .districtManager: "区卫健局"
        }
    }

    static func category(_ c: FlagCategory) -> String {
        switch c {
        case .disabledElderly: "失能老人"
        case .emptyNest: "空巢老人"
        case .livingAlone: "独居老人"
        case .extremelyPoor: "特困人员"
        case .leftBehindChild: "留守儿童"
        case .disabled: "残疾人"
        case .hypertension: "高血压"
        case .type2Diabetes: "2型糖尿病"
        case .severeMentalIllness: "严重精神障碍"
        case .pregnant: "孕产妇"
        case .other: "其他"
        }
    }

    static func tier(_ t: Tier) -> String {
        switch t {
        case .red: "红色"
        case .yellow: "黄色"
        case .green: "绿色"
        }
    }

    static func population(_ p: Population) -> String {
        switch p {
        case .key: "重点人群"
        case .secondary: "次重点人群"
        }
    }

    static func flagStatus(_ s: FlagStatus) -> String {
        switch s {
        case .raised: "待确认"
        case .confirmed: "已确认"
        case .dismissed: "已排除"
        case .closed: "已关闭"
        }
    }

    static func alertStatus(_ s: AlertStatus) -> String {
        switch s {
        case .open: "待处理"
        case .acknowledged: "已联系"
        case .closed: "已关闭"
        }
    }

    static func visit(_ v: VisitKind) -> String {
        switch v {
        case .doctorFollowUp: "医生随访"
        case .homeVisit: "上门服务"
        case .welfareVisit: "关爱走访"
        case .annualCheck: "年度体检"
        }
    }

    static func service(_ k: ServiceKind) -> String {
        switch k {
        case .homeVisit: "上门服务"
        case .round: "巡诊"
        case .clinicVisit: "门诊"
        case .phoneConsultation: "电话随访"
        case .recordFiling: "建档"
        case .referral: "转诊"
        }
    }

    /// Why a visit is due, as a sentence for the due list.
    static func rule(_ r: DueRule) -> String {
        switch r {
        case .chronicFollowUp: "慢病规范随访（每季度）"
        case .followUpAfterReading: "读数异常后复查"
        case .followUpAfterDischarge: "出院回转后随访"
        case .annualCheck: "65岁以上年度体检"
        case .disabledElderlyHomeVisit: "失能老人上门服务"
        case .welfareVisit: "网格员关爱走访"
        }
    }

    static func sex(_ s: Sex) -> String { s == .male ? "男" : "女" }

    static func circumstance(_ c: Circumstance) -> String {
        switch c {
        case .emptyNest: "空巢"
        case .livingAlone: "独居"
        case .extremelyPoor: "特困"
        case .leftBehindChild: "留守儿童"
        }
    }

    static func condition(_ c: Condition) -> String {
        switch c {
        case .hypertension: "高血压"
        case .type2Diabetes: "2型糖尿病"
        case .severeMentalIllness: "严重精神障碍"
        case .disability: "残疾"
        case .bedbound: "卧床"
        case .pregnant: "孕产妇"
        }
    }

    /// A field of a refused form, named as the form names it.
    static func field(_ name: String) -> String {
        [
            "note": "备注", "notes": "备注", "category": "类别", "tier": "等级", "population": "人群", "residentId": "居民",
            "systolic": "收缩压", "diastolic": "舒张压", "glucoseFasting": "空腹血糖", "glucoseRandom": "随机血糖",
            "heartRate": "心率", "temperature": "体温", "spo2": "血氧", "weight": "体重", "visit": "服务类型", "kind": "服务方式",
            "performedAt": "服务时间", "measuredAt": "测量时间", "status": "状态", "version": "版本",
        ][name] ?? name
    }
}

extension Labels {
    static func referral(_ s: ReferralStatus) -> String {
        switch s {
        case .draft: "草稿"
        case .sent: "已转出"
        case .received: "医院已接收"
        case .accepted: "已接诊"
        case .declined: "医院已拒收"
        case .admitted: "已入院"
        case .dischargedDown: "已回转"
        case .followUpDone: "已随访"
        case .closed: "已闭环"
        case .cancelled: "已取消"
        }
    }

    static func session(_ s: SessionStatus) -> String {
        switch s {
        case .scheduled: "已排班"
        case .held: "已开诊"
        case .cancelled: "已停诊"
        case .moved: "已调整"
        }
    }
}

extension Labels {
    static func urgency(_ u: ReferralUrgency) -> String {
        switch u {
        case .routine: "常规"
        case .urgent: "紧急"
        case .greenChannel: "绿色通道"
        }
    }
}
