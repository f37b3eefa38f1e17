//! Who is asking, and what they may do: every permission decision of Lantian is one function
//! in [`policy`], called by the use cases and never by a front end on its own.

use crate::error::{AppError, AppResult};
use lantian_core::ledger::Fields;
use lantian_core::ledger::responsibility::{ALL_RESPONSIBLE, ALL_TOWNSHIPS, DEVELOPMENT_ZONE};
use lantian_core::org::{Role, UnitKind};
use lantian_core::series::StationRole;
use lantian_core::warning::State;
use serde::Serialize;

/// A person with an account: their role and the unit they belong to.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Account {
    pub username: String,
    pub role: Role,
    /// The unit's id: a department's is its name (`市交通运输局`), a township's its id
    /// (`wangkou`).
    pub unit_id: Option<String>,
    /// What kind of unit it is, when known (a township-level unit reports for 各乡镇).
    #[serde(skip)]
    pub unit_kind: Option<UnitKind>,
    /// Where this request comes from, for the audit log: the web request's peer address,
    /// `cli:USER` on the command line; empty where unknown (the front end sets it).
    #[serde(skip)]
    pub source: String,
}

/// The caller of a use case.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Caller {
    /// No login: sees what is public.
    Public,
    Account(Account),
}

impl Caller {
    pub fn account(&self) -> Option<&Account> {
        match self {
            Caller::Public => None,
            Caller::Account(a) => Some(a),
        }
    }

    pub fn role(&self) -> Option<Role> {
        self.account().map(|a| a.role)
    }

    /// The account, or [`AppError::Unauthorized`].
    pub fn require(&self) -> AppResult<&Account> {
        self.account().ok_or(AppError::Unauthorized)
    }

    /// The account if its role is one of `roles`.
    pub fn require_role(&self, roles: &[Role]) -> AppResult<&Account> {
        let a = self.require()?;
        if roles.contains(&a.role) {
            Ok(a)
        } else {
            Err(AppError::Forbidden(format!(
                "角色“{}”无权执行此操作 / role {} may not do this",
                a.role.name_zh(),
                a.role
            )))
        }
    }

    /// Where the request comes from (the audit log's source): empty for the public.
    pub fn source(&self) -> &str {
        self.account().map_or("", |a| a.source.as_str())
    }

    /// The same caller, from `source`.
    #[must_use]
    pub fn from_source(mut self, source: &str) -> Caller {
        if let Caller::Account(a) = &mut self {
            a.source = source.to_owned();
        }
        self
    }

    /// The name written in audit records: the user name, or `public`.
    pub fn name(&self) -> &str {
        self.account().map_or("public", |a| a.username.as_str())
    }
}

/// The permission decisions, one function per act. Each is pure: the caller and the subject
/// in, the decision out.
pub mod policy {
    use super::*;

    /// Registering or changing stations, devices; correcting a measure's fields.
    pub const MANAGE: &[Role] = &[Role::Admin, Role::Bureau];
    /// Seeing devices and their gateway status.
    pub const SEE_DEVICES: &[Role] = &[Role::Admin, Role::Bureau, Role::Operations];
    /// Reading the audit log.
    pub const SEE_AUDIT: &[Role] = &[Role::Admin, Role::Bureau];
    /// Seeing integrity alarms, work orders and operations rates (a township: its own
    /// stations', see [`integrity_station`]).
    pub const SEE_INTEGRITY: &[Role] =
        &[Role::Admin, Role::Bureau, Role::Operations, Role::Township];
    /// Running the integrity scan and opening work orders.
    pub const RUN_OPERATIONS: &[Role] = &[Role::Admin, Role::Bureau, Role::Operations];
    /// Creating accounts.
    pub const MANAGE_ACCOUNTS: &[Role] = &[Role::Admin];

    /// Seeing verdicts on targets (met, still allowed, the projection) and the monthly
    /// township 通报: every government account, not an enterprise's.
    pub const GOVERNMENT: &[Role] = &[
        Role::Admin,
        Role::Bureau,
        Role::Department,
        Role::Township,
        Role::Operations,
        Role::Commander,
    ];

    /// Reading `/metrics` with a session (Prometheus sends the metrics token instead).
    pub const SEE_METRICS: &[Role] = &[Role::Admin, Role::Operations];

    /// Whether a station's data are published: the city's assessment stations (national and
    /// provincial control) and background stations. Township stations and micro sensors
    /// are internal: the public sees them only through the published township ranking.
    pub fn published(role: StationRole) -> bool {
        matches!(role, StationRole::Assessment | StationRole::Background)
    }

    /// Whether the caller sees a station's details and data (what it measures, its series,
    /// aggregates and AQI): everyone for a published station; for the others an account
    /// that is not an enterprise's (an enterprise sees what the public sees), a township's
    /// only for its own unit's stations.
    pub fn sees_station_data(caller: &Caller, role: StationRole, unit: Option<&str>) -> bool {
        station_data(caller, role, unit).is_ok()
    }

    /// [`sees_station_data`] with the refusal: 401 for the public (log in), 403 for an
    /// account that may not see it, each saying why.
    pub fn station_data(caller: &Caller, role: StationRole, unit: Option<&str>) -> AppResult<()> {
        if published(role) {
            return Ok(());
        }
        let Some(a) = caller.account() else {
            return Err(AppError::Unauthorized);
        };
        match a.role {
            Role::Enterprise => Err(AppError::Forbidden(
                "乡镇站点的数据须由政府部门账号查看 / township stations' data are for government accounts"
                    .to_owned(),
            )),
            Role::Township if a.unit_id.is_none() || a.unit_id.as_deref() != unit => {
                Err(AppError::Forbidden(
                    "这不是本乡镇的站点 / not a station of your township".to_owned(),
                ))
            }
            _ => Ok(()),
        }
    }

    /// Whether the caller sees what a station measures (the list of its analysers): a
    /// government account, a township's for its own unit's stations only; not the public
    /// nor an enterprise.
    pub fn sees_station_detail(caller: &Caller, station_unit: Option<&str>) -> bool {
        match caller.account() {
            None => false,
            Some(a) if a.role == Role::Enterprise => false,
            Some(a) if a.role == Role::Township => {
                a.unit_id.is_some() && a.unit_id.as_deref() == station_unit
            }
            Some(_) => true,
        }
    }

    /// Whether the caller sees internal verdicts on the plan's targets (what the rest of
    /// the year may still average, "unreachable"): an account that is not an enterprise's.
    pub fn sees_target_verdicts(caller: &Caller) -> bool {
        caller.role().is_some_and(|r| GOVERNMENT.contains(&r))
    }

    /// Whether the caller sees the 通报's penalty list: the bureau and administrators.
    pub fn sees_penalties(caller: &Caller) -> bool {
        caller.role().is_some_and(|r| MANAGE.contains(&r))
    }

    /// Whether the caller sees an enterprise: its own for an enterprise account, every one
    /// for everybody else (the public sees the register, not the monitoring).
    pub fn sees_enterprise(caller: &Caller, enterprise_id: &str) -> bool {
        match caller.account() {
            Some(a) if a.role == Role::Enterprise => a.unit_id.as_deref() == Some(enterprise_id),
            _ => true,
        }
    }

    /// Whether the caller sees an enterprise's monitoring data (emissions, equipment,
    /// findings): the bureau, administrators, operations, departments and townships, and
    /// the enterprise itself.
    pub fn sees_monitoring(caller: &Caller, enterprise_id: &str) -> bool {
        caller.account().is_some() && sees_enterprise(caller, enterprise_id)
    }

    /// Whether the caller reads an enterprise's outlets and emissions: who sees its
    /// monitoring, and everyone when the enterprise discloses them (plan §9(三)).
    pub fn reads_emissions(caller: &Caller, enterprise_id: &str, discloses: bool) -> bool {
        discloses || sees_monitoring(caller, enterprise_id)
    }

    /// What an account may do beyond reading, for the front ends to show or hide controls;
    /// the use cases decide again.
    #[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
    #[serde(rename_all = "snake_case")]
    pub enum Act {
        /// Register enterprises and import the enterprise list; register stations.
        ManageRegister,
        ManageAccounts,
        SeeDevices,
        SeeAudit,
        /// See integrity alarms, work orders and operations rates (a township: its own
        /// stations').
        SeeIntegrity,
        /// Run the integrity scan.
        ScanIntegrity,
        /// Open work orders to the operations contractor.
        OpenWorkOrders,
        /// Invalidate, correct or restore station hours.
        CorrectData,
        /// Close a month after its corrections.
        CloseMonths,
        /// Set targets and their monthly breakdowns (docs/targets.md).
        EditTargets,
        /// Read the monthly township 通报 (docs/assessment.md).
        SeeTownshipReport,
        /// Type in hotline complaints and see complainants' contacts (docs/grid.md).
        TakeComplaints,
        /// See complaints and their hot spots (a township: its own township's).
        SeeComplaints,
        /// Register dust sites and machinery, run the dust scan, record the dustfall actual.
        ManageSites,
        /// See dust sites, dustfall, inspections and the machinery register.
        SeeSites,
        /// See grid tasks (a township: in it or assigned to it; a department: assigned to it).
        SeeTasks,
        /// Create grid tasks by hand (docs/grid.md).
        CreateTasks,
        /// Approve, return, reassign and escalate grid tasks; set their deadlines.
        ReviewTasks,
        /// See enforcement cases (a township: its township's; an enterprise or contractor:
        /// its own; docs/enforcement.md).
        SeeCases,
        /// Open, investigate, decide, close and dismiss enforcement cases.
        ManageCases,
        /// See the 散乱污 list and its monthly count (a township: its own).
        SeeSanluanwu,
        /// Add 散乱污 entries and report their rectification (a township: its own).
        ReportSanluanwu,
        /// Verify (验收销号) or reject 散乱污 entries, for every township.
        ManageSanluanwu,
        /// List open-data API keys, set their rate limits and revoke them (docs/open-data.md).
        ManageApiKeys,
        /// See every credit entry, answer objections and repairs, file them for a subject.
        ManageCredit,
        /// See the alerts inbox (a unit's account: the alerts concerning its unit).
        SeeAlerts,
        /// Set alert rules and webhook channels; read the delivery log.
        ManageAlerts,
        /// See the cockpit (驾驶舱): the government's home page (docs/ui.md).
        SeeCockpit,
        /// Make periodic reports' files and set their schedules (docs/ui.md, Reports).
        ManageReports,
    }

    /// The acts of [`Act`] the caller may do.
    pub fn acts(caller: &Caller) -> Vec<Act> {
        let Some(a) = caller.account() else {
            return Vec::new();
        };
        [
            (Act::ManageRegister, MANAGE),
            (Act::ManageAccounts, MANAGE_ACCOUNTS),
            (Act::SeeDevices, SEE_DEVICES),
            (Act::SeeAudit, SEE_AUDIT),
            (Act::SeeIntegrity, SEE_INTEGRITY),
            (Act::ScanIntegrity, RUN_OPERATIONS),
            (Act::OpenWorkOrders, RUN_OPERATIONS),
            (Act::CorrectData, MANAGE),
            (Act::CloseMonths, MANAGE),
            (Act::EditTargets, MANAGE),
            (Act::SeeTownshipReport, GOVERNMENT),
            (
                Act::TakeComplaints,
                &[Role::Admin, Role::Bureau, Role::Department],
            ),
            (
                Act::SeeComplaints,
                &[Role::Admin, Role::Bureau, Role::Department, Role::Township],
            ),
            (Act::ManageSites, MANAGE),
            (Act::SeeSites, GOVERNMENT),
            (Act::SeeTasks, crate::tasks::SEE_TASKS),
            (Act::CreateTasks, crate::tasks::SEE_TASKS),
            (Act::ReviewTasks, MANAGE),
            (Act::SeeCases, crate::cases::SEE_CASES),
            (Act::ManageCases, MANAGE),
            (Act::SeeSanluanwu, GOVERNMENT),
            (
                Act::ReportSanluanwu,
                &[Role::Admin, Role::Bureau, Role::Township],
            ),
            (Act::ManageSanluanwu, MANAGE),
            (Act::ManageApiKeys, MANAGE),
            (Act::ManageCredit, MANAGE),
            (Act::SeeAlerts, GOVERNMENT),
            (Act::ManageAlerts, MANAGE),
            (Act::ManageReports, MANAGE),
            (Act::SeeCockpit, GOVERNMENT),
        ]
        .into_iter()
        .filter(|(_, roles)| roles.contains(&a.role))
        .map(|(act, _)| act)
        .collect()
    }

    /// What someone may do to an enterprise.
    #[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
    #[serde(rename_all = "snake_case")]
    pub enum EnterpriseAct {
        /// Publish or withdraw its monitoring data.
        Disclose,
        ImportVehicles,
        /// Change its register entry, outlets and equipment.
        Edit,
    }

    /// The acts of [`EnterpriseAct`] the caller may do to enterprise `id`.
    pub fn enterprise_acts(caller: &Caller, id: &str) -> Vec<EnterpriseAct> {
        let mut out = Vec::new();
        if acts_for_enterprise(caller, id) {
            out.extend([EnterpriseAct::Disclose, EnterpriseAct::ImportVehicles]);
        }
        if caller.role().is_some_and(|r| MANAGE.contains(&r)) {
            out.push(EnterpriseAct::Edit);
        }
        out
    }

    /// The refusal of something the caller may not see: log in (the public), or not yours.
    pub fn refusal(caller: &Caller, what: &str) -> AppError {
        match caller.account() {
            None => AppError::Unauthorized,
            Some(_) => AppError::Forbidden(what.to_owned()),
        }
    }

    /// Whether the caller acts for an enterprise (publishes its disclosure, imports its gate
    /// records): the enterprise's own account, the bureau and administrators.
    pub fn acts_for_enterprise(caller: &Caller, enterprise_id: &str) -> bool {
        match caller.account() {
            Some(a) if a.role == Role::Enterprise => a.unit_id.as_deref() == Some(enterprise_id),
            Some(a) => MANAGE.contains(&a.role),
            None => false,
        }
    }

    /// A step of the heavy-pollution warning workflow.
    #[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
    #[serde(rename_all = "snake_case")]
    pub enum WarningAct {
        /// Judge a forecast and store its proposal: the bureau and the command.
        Propose,
        /// Issue, adjust, lift or withdraw (签发): the emergency command only.
        SignOff,
        /// Record a regional order of the province and the city's answer: the bureau and
        /// the command.
        Order,
        /// Change the reduction list, hand violations over to enforcement: the bureau and
        /// administrators.
        ManageList,
    }

    /// Who may take each step of the warning workflow.
    fn warning_roles(act: WarningAct) -> &'static [Role] {
        match act {
            WarningAct::Propose | WarningAct::Order => {
                &[Role::Admin, Role::Bureau, Role::Commander]
            }
            WarningAct::SignOff => &[Role::Commander],
            WarningAct::ManageList => MANAGE,
        }
    }

    /// The caller's user name if it may take `act`, else why not.
    pub fn warning(caller: &Caller, act: WarningAct) -> AppResult<String> {
        let a = caller.require()?;
        if warning_roles(act).contains(&a.role) {
            return Ok(a.username.clone());
        }
        Err(AppError::Forbidden(
            match act {
                WarningAct::SignOff => {
                    "预警的发布、调整和解除须由应急指挥部签发 / only the emergency command signs warnings off"
                }
                WarningAct::Propose | WarningAct::Order => {
                    "只有生态环境局和应急指挥部可以处理预警 / only the bureau and the emergency command handle warnings"
                }
                WarningAct::ManageList => {
                    "只有生态环境局可以管理减排清单 / only the bureau manages the reduction list"
                }
            }
            .to_owned(),
        ))
    }

    /// The workflow steps the caller may take on a warning in `state`.
    pub fn warning_acts(caller: &Caller, state: State) -> Vec<WarningAct> {
        let Some(a) = caller.account() else {
            return Vec::new();
        };
        let may = |act| warning_roles(act).contains(&a.role);
        let mut out = Vec::new();
        if may(WarningAct::SignOff) && matches!(state, State::Proposed | State::InForce) {
            out.push(WarningAct::SignOff);
        }
        if may(WarningAct::Order) && state != State::Withdrawn {
            out.push(WarningAct::Order);
        }
        if may(WarningAct::ManageList) {
            out.push(WarningAct::ManageList);
        }
        out
    }

    /// Whether the caller sees a warning: issued ones (in force, lifted) are public;
    /// proposals and withdrawn ones need an account.
    pub fn sees_warning(caller: &Caller, state: State) -> bool {
        caller.account().is_some() || matches!(state, State::InForce | State::Lifted)
    }

    /// Whether the caller sees every notice's receipt, the whole reduction list and every
    /// enterprise's compliance: who runs the workflow.
    pub fn sees_receipts(caller: &Caller) -> bool {
        caller
            .role()
            .is_some_and(|r| matches!(r, Role::Admin | Role::Bureau | Role::Commander))
    }

    /// Whether the caller sees an enterprise's reduction measures and compliance: who runs
    /// the workflow, departments and townships, and the enterprise itself.
    pub fn sees_reduction(caller: &Caller, enterprise_id: &str) -> bool {
        sees_monitoring(caller, enterprise_id) && caller.role() != Some(Role::Operations)
    }

    /// What someone may do to a measure of the ledger.
    #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
    #[serde(rename_all = "snake_case")]
    pub enum LedgerAct {
        /// Report progress.
        Report,
        /// Confirm completion.
        Confirm,
        /// Close the item (销号).
        Close,
        /// Reopen a closed item.
        Reopen,
        /// Attach an evidence file.
        Evidence,
        /// Correct the fields read from the text, or break a target down by month.
        Correct,
    }

    impl LedgerAct {
        pub const ALL: [LedgerAct; 6] = [
            LedgerAct::Report,
            LedgerAct::Confirm,
            LedgerAct::Close,
            LedgerAct::Reopen,
            LedgerAct::Evidence,
            LedgerAct::Correct,
        ];
    }

    /// How an account stands to a measure.
    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    pub struct Standing {
        /// Bureau-level (admin, bureau): acts on every measure.
        pub bureau: bool,
        /// Its unit leads the measure (or the measure is for every township and it is one,
        /// or for every responsible unit).
        pub lead: bool,
        /// Its unit leads or supports it.
        pub involved: bool,
    }

    /// Whether `unit` of `kind` answers for a named unit or group of the list.
    fn answers_for(name: &str, unit: &str, kind: Option<UnitKind>) -> bool {
        name == unit
            || match name {
                ALL_TOWNSHIPS => matches!(kind, Some(UnitKind::Town | UnitKind::Township)),
                DEVELOPMENT_ZONE => kind == Some(UnitKind::Zone),
                ALL_RESPONSIBLE => {
                    matches!(kind, Some(k) if k == UnitKind::Department || k.is_township_level())
                }
                _ => false,
            }
    }

    /// The caller's standing on a measure with these fields.
    pub fn standing(account: &Account, fields: &Fields) -> Standing {
        let bureau = account.role.is_bureau();
        let mine = |names: &[String]| {
            account.unit_id.as_deref().is_some_and(|unit| {
                matches!(account.role, Role::Department | Role::Township)
                    && names
                        .iter()
                        .any(|n| answers_for(n, unit, account.unit_kind))
            })
        };
        let lead = mine(&fields.lead_units);
        Standing {
            bureau,
            lead,
            involved: lead || mine(&fields.supporting_units),
        }
    }

    /// Whether the caller may attempt `act` on a measure (the status machine then decides
    /// whether the measure's status allows it). `Err` says why not.
    pub fn ledger(caller: &Caller, act: LedgerAct, fields: &Fields) -> AppResult<Standing> {
        let a = caller.require()?;
        let s = standing(a, fields);
        let allowed = match act {
            LedgerAct::Report | LedgerAct::Evidence => s.bureau || s.involved,
            LedgerAct::Confirm => s.bureau || s.lead,
            LedgerAct::Close | LedgerAct::Reopen | LedgerAct::Correct => s.bureau,
        };
        if allowed {
            return Ok(s);
        }
        Err(AppError::Forbidden(
            match act {
                LedgerAct::Report | LedgerAct::Evidence => {
                    "只能处理本单位牵头或配合的措施 / only measures your unit leads or supports"
                }
                LedgerAct::Confirm => {
                    "只有牵头单位可以确认完成 / only the lead unit confirms completion"
                }
                LedgerAct::Close => "只有生态环境局可以销号 / only the bureau closes items",
                LedgerAct::Reopen => "只有生态环境局可以重新打开 / only the bureau reopens items",
                LedgerAct::Correct => "只有生态环境局可以更正 / only the bureau corrects a measure",
            }
            .to_owned(),
        ))
    }

    /// [`sees_integrity`] with the refusal: 401 for the public, 403 for the others.
    pub fn integrity_station(caller: &Caller, station_unit: Option<&str>) -> AppResult<()> {
        let a = caller.require()?;
        match a.role {
            Role::Admin | Role::Bureau | Role::Operations => Ok(()),
            Role::Township if a.unit_id.is_some() && a.unit_id.as_deref() == station_unit => Ok(()),
            Role::Township => Err(AppError::Forbidden(
                "这不是本乡镇的站点 / not a station of your township".to_owned(),
            )),
            _ => Err(AppError::Forbidden(
                "数据质量告警由生态环境局、运维和乡镇查看 / integrity alarms are for the bureau, operations and townships"
                    .to_owned(),
            )),
        }
    }

    /// Whether the caller sees a station's integrity alarms with their evidence, work
    /// orders, corrections and operations rates: the bureau, administrators and operations
    /// every station's; a township its own stations'; nobody else.
    pub fn sees_integrity(caller: &Caller, station_unit: Option<&str>) -> bool {
        integrity_station(caller, station_unit).is_ok()
    }

    /// Who sees an outlet's integrity alarms (the CEMS rules): the bureau, administrators
    /// and operations, and the enterprise its own outlets'.
    pub fn integrity_outlet(caller: &Caller, enterprise_id: &str) -> AppResult<()> {
        let a = caller.require()?;
        match a.role {
            Role::Admin | Role::Bureau | Role::Operations => Ok(()),
            Role::Enterprise if a.unit_id.as_deref() == Some(enterprise_id) => Ok(()),
            _ => Err(AppError::Forbidden(
                "排放口数据质量告警由生态环境局、运维和企业本身查看 / an outlet's integrity alarms are for the bureau, operations and the enterprise"
                    .to_owned(),
            )),
        }
    }

    /// Whether the caller may list integrity alarms at all: who sees some station's, and an
    /// enterprise (its outlets').
    pub fn integrity_list(caller: &Caller) -> AppResult<()> {
        let own = caller.account().and_then(|a| a.unit_id.as_deref());
        integrity_station(caller, own).or_else(|e| match caller.account() {
            Some(a) if a.role == Role::Enterprise => integrity_outlet(caller, own.unwrap_or("")),
            _ => Err(e),
        })
    }

    /// An act of data-integrity supervision beyond reviewing.
    #[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
    #[serde(rename_all = "snake_case")]
    pub enum IntegrityAct {
        /// Run the rule library over stored data: the bureau, administrators, operations.
        Scan,
        /// Open a work order to the operations contractor: the bureau, administrators,
        /// operations.
        OpenWorkOrder,
        /// Invalidate, correct or restore a station hour: the bureau, administrators.
        Correct,
        /// Close a month after its corrections (HJ 633 §5.1.5): the bureau, administrators.
        CloseMonth,
        /// Hand a confirmed alarm (interference) over to enforcement with its evidence: the
        /// bureau, administrators.
        Escalate,
    }

    /// The caller's user name if it may take `act`, else why not.
    pub fn integrity(caller: &Caller, act: IntegrityAct) -> AppResult<String> {
        let a = caller.require()?;
        let roles: &[Role] = match act {
            IntegrityAct::Scan | IntegrityAct::OpenWorkOrder => RUN_OPERATIONS,
            IntegrityAct::Correct | IntegrityAct::CloseMonth | IntegrityAct::Escalate => MANAGE,
        };
        if roles.contains(&a.role) {
            return Ok(a.username.clone());
        }
        Err(AppError::Forbidden(
            match act {
                IntegrityAct::Scan => {
                    "只有生态环境局和运维可以运行数据质量扫描 / only the bureau and operations run the scan"
                }
                IntegrityAct::OpenWorkOrder => {
                    "只有生态环境局和运维可以派发工单 / only the bureau and operations open work orders"
                }
                IntegrityAct::Correct => {
                    "只有生态环境局可以审核修改数据 / only the bureau corrects data"
                }
                IntegrityAct::CloseMonth => {
                    "只有生态环境局可以月度审核关账 / only the bureau closes a month"
                }
                IntegrityAct::Escalate => {
                    "只有生态环境局可以移送执法 / only the bureau hands alarms over to enforcement"
                }
            }
            .to_owned(),
        ))
    }

    /// The level at which the caller reviews an alarm of a station of `station_unit`
    /// (三级审核): operations as the operator, a township for its own stations, the bureau
    /// and administrators as the bureau.
    pub fn review_level(
        caller: &Caller,
        station_unit: Option<&str>,
    ) -> AppResult<lantian_store::integrity::ReviewLevel> {
        use lantian_store::integrity::ReviewLevel;
        integrity_station(caller, station_unit)?;
        let a = caller.require()?;
        Ok(match a.role {
            Role::Operations => ReviewLevel::Operator,
            Role::Township => ReviewLevel::Township,
            _ => ReviewLevel::Bureau,
        })
    }

    /// Who may close a work order: the assignee's operations accounts (an operations
    /// account of that unit), the bureau and administrators. `Ok` is the user name.
    pub fn close_work_order(caller: &Caller, assignee: &str) -> AppResult<String> {
        let a = caller.require()?;
        let ok = match a.role {
            Role::Admin | Role::Bureau => true,
            Role::Operations => a.unit_id.as_deref() == Some(assignee),
            _ => false,
        };
        if ok {
            return Ok(a.username.clone());
        }
        Err(AppError::Forbidden(
            "只有承办的运维单位和生态环境局可以关闭工单 / only the assigned contractor and the bureau close a work order"
                .to_owned(),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::policy::{LedgerAct, ledger};
    use super::*;

    fn account(role: Role, unit: Option<&str>, kind: Option<UnitKind>) -> Caller {
        Caller::Account(Account {
            username: "u".into(),
            role,
            unit_id: unit.map(str::to_owned),
            unit_kind: kind,
            source: String::new(),
        })
    }

    fn fields(leads: &[&str], supporting: &[&str]) -> Fields {
        Fields {
            lead_units: leads.iter().map(|s| (*s).to_owned()).collect(),
            supporting_units: supporting.iter().map(|s| (*s).to_owned()).collect(),
            ..Fields::default()
        }
    }

    #[test]
    fn every_role_against_every_integrity_act() {
        use super::policy::{IntegrityAct::*, close_work_order, integrity, review_level};
        use lantian_store::integrity::ReviewLevel;
        let wk = || account(Role::Township, Some("wangkou"), Some(UnitKind::Town));
        // (caller, sees wangkou's, sees xincheng's, review level at wangkou's,
        //  [scan, open order, correct, close month, escalate], closes an order assigned to ops-co)
        type Row = (Caller, bool, bool, Option<ReviewLevel>, [bool; 5], bool);
        let cases: Vec<Row> = vec![
            (Caller::Public, false, false, None, [false; 5], false),
            (
                account(Role::Admin, None, None),
                true,
                true,
                Some(ReviewLevel::Bureau),
                [true; 5],
                true,
            ),
            (
                account(Role::Bureau, None, None),
                true,
                true,
                Some(ReviewLevel::Bureau),
                [true; 5],
                true,
            ),
            (
                account(Role::Operations, Some("ops-co"), None),
                true,
                true,
                Some(ReviewLevel::Operator),
                [true, true, false, false, false],
                true,
            ),
            (
                account(Role::Operations, Some("other-co"), None),
                true,
                true,
                Some(ReviewLevel::Operator),
                [true, true, false, false, false],
                false,
            ),
            (
                wk(),
                true,
                false,
                Some(ReviewLevel::Township),
                [false; 5],
                false,
            ),
            (
                account(Role::Township, None, None),
                false,
                false,
                None,
                [false; 5],
                false,
            ),
            (
                account(Role::Department, Some("市交通运输局"), None),
                false,
                false,
                None,
                [false; 5],
                false,
            ),
            (
                account(Role::Commander, None, None),
                false,
                false,
                None,
                [false; 5],
                false,
            ),
            (
                account(Role::Enterprise, Some("AS"), None),
                false,
                false,
                None,
                [false; 5],
                false,
            ),
        ];
        for (c, own, other, level, acts, closes) in cases {
            assert_eq!(policy::sees_integrity(&c, Some("wangkou")), own, "{c:?}");
            assert_eq!(policy::sees_integrity(&c, Some("xincheng")), other, "{c:?}");
            assert_eq!(review_level(&c, Some("wangkou")).ok(), level, "{c:?}");
            let got = [Scan, OpenWorkOrder, Correct, CloseMonth, Escalate]
                .map(|a| integrity(&c, a).is_ok());
            assert_eq!(got, acts, "{c:?}");
            assert_eq!(close_work_order(&c, "ops-co").is_ok(), closes, "{c:?}");
        }
        assert!(matches!(
            policy::integrity_station(&Caller::Public, Some("wangkou")),
            Err(AppError::Unauthorized)
        ));
        assert!(matches!(
            review_level(&wk(), Some("xincheng")),
            Err(AppError::Forbidden(_))
        ));
    }

    #[test]
    fn an_outlets_integrity_alarms_are_the_bureaus_operations_and_its_enterprises() {
        // (caller, sees outlet alarms of enterprise AS, may list alarms at all)
        let cases = [
            (Caller::Public, false, false),
            (account(Role::Admin, None, None), true, true),
            (account(Role::Bureau, None, None), true, true),
            (account(Role::Operations, Some("ops-co"), None), true, true),
            (account(Role::Enterprise, Some("AS"), None), true, true),
            (account(Role::Enterprise, Some("BX"), None), false, true),
            (account(Role::Enterprise, None, None), false, false),
            (
                account(Role::Township, Some("wangkou"), Some(UnitKind::Town)),
                false,
                true,
            ),
            (account(Role::Township, None, None), false, false),
            (
                account(Role::Department, Some("市交通运输局"), None),
                false,
                false,
            ),
            (account(Role::Commander, None, None), false, false),
        ];
        for (c, sees, lists) in cases {
            assert_eq!(policy::integrity_outlet(&c, "AS").is_ok(), sees, "{c:?}");
            assert_eq!(policy::integrity_list(&c).is_ok(), lists, "{c:?}");
        }
        assert!(matches!(
            policy::integrity_outlet(&Caller::Public, "AS"),
            Err(AppError::Unauthorized)
        ));
    }

    #[test]
    fn every_role_against_every_warning_step() {
        use super::policy::{WarningAct::*, sees_warning, warning};
        // propose, sign off, order, manage the list
        let cases: Vec<(Caller, [bool; 4])> = vec![
            (Caller::Public, [false; 4]),
            (account(Role::Admin, None, None), [true, false, true, true]),
            (account(Role::Bureau, None, None), [true, false, true, true]),
            (
                account(Role::Commander, None, None),
                [true, true, true, false],
            ),
            (
                account(Role::Department, Some("市交通运输局"), None),
                [false; 4],
            ),
            (account(Role::Township, Some("wangkou"), None), [false; 4]),
            (account(Role::Operations, None, None), [false; 4]),
            (account(Role::Enterprise, Some("AS"), None), [false; 4]),
        ];
        for (caller, want) in cases {
            let got = [Propose, SignOff, Order, ManageList].map(|a| warning(&caller, a).is_ok());
            assert_eq!(got, want, "{caller:?}");
        }
        assert!(!sees_warning(&Caller::Public, State::Proposed));
        assert!(sees_warning(&Caller::Public, State::InForce));
        assert!(sees_warning(&Caller::Public, State::Lifted));
        assert!(sees_warning(
            &account(Role::Enterprise, Some("AS"), None),
            State::Proposed
        ));
    }

    #[test]
    fn every_role_against_every_ledger_act() {
        let m = fields(&["市交通运输局"], &["市公安局"]);
        let towns = fields(&[ALL_TOWNSHIPS, DEVELOPMENT_ZONE], &[]);
        let dep = Some(UnitKind::Department);
        let cases: Vec<(Caller, &Fields, [bool; 6])> = vec![
            // report, confirm, close, reopen, evidence, correct
            (account(Role::Admin, None, None), &m, [true; 6]),
            (
                account(Role::Bureau, Some("市生态环境局"), dep),
                &m,
                [true; 6],
            ),
            (
                account(Role::Department, Some("市交通运输局"), dep),
                &m,
                [true, true, false, false, true, false],
            ),
            (
                account(Role::Department, Some("市公安局"), dep),
                &m,
                [true, false, false, false, true, false],
            ),
            (
                account(Role::Department, Some("市水务局"), dep),
                &m,
                [false; 6],
            ),
            (account(Role::Department, None, None), &m, [false; 6]),
            (
                account(Role::Township, Some("wangkou"), Some(UnitKind::Town)),
                &towns,
                [true, true, false, false, true, false],
            ),
            (
                account(Role::Township, Some("devzone"), Some(UnitKind::Zone)),
                &towns,
                [true, true, false, false, true, false],
            ),
            (
                account(Role::Township, Some("wangkou"), Some(UnitKind::Town)),
                &m,
                [false; 6],
            ),
            (
                account(Role::Operations, Some("市交通运输局"), dep),
                &m,
                [false; 6],
            ),
            (account(Role::Enterprise, None, None), &towns, [false; 6]),
        ];
        for (caller, f, expected) in cases {
            for (act, want) in LedgerAct::ALL.iter().zip(expected) {
                assert_eq!(ledger(&caller, *act, f).is_ok(), want, "{caller:?} {act:?}");
            }
        }
        assert!(matches!(
            ledger(&Caller::Public, LedgerAct::Report, &m),
            Err(AppError::Unauthorized)
        ));
    }

    #[test]
    fn every_role_against_an_enterprise() {
        let cases = [
            // sees, monitoring, emissions (not disclosed), emissions (disclosed), acts for
            (
                account(Role::Admin, None, None),
                [true, true, true, true, true],
            ),
            (
                account(Role::Bureau, None, None),
                [true, true, true, true, true],
            ),
            (
                account(Role::Department, None, None),
                [true, true, true, true, false],
            ),
            (
                account(Role::Township, Some("wangkou"), None),
                [true, true, true, true, false],
            ),
            (
                account(Role::Operations, None, None),
                [true, true, true, true, false],
            ),
            (
                account(Role::Enterprise, Some("AS"), None),
                [true, true, true, true, true],
            ),
            (
                account(Role::Enterprise, Some("XX"), None),
                [false, false, false, true, false],
            ),
            (
                account(Role::Enterprise, None, None),
                [false, false, false, true, false],
            ),
            (Caller::Public, [true, false, false, true, false]),
        ];
        for (c, want) in cases {
            let got = [
                policy::sees_enterprise(&c, "AS"),
                policy::sees_monitoring(&c, "AS"),
                policy::reads_emissions(&c, "AS", false),
                policy::reads_emissions(&c, "AS", true),
                policy::acts_for_enterprise(&c, "AS"),
            ];
            assert_eq!(got, want, "{c:?}");
        }
    }

    #[test]
    fn stations_data_are_public_only_for_published_stations() {
        use StationRole::*;
        let wk = account(Role::Township, Some("wangkou"), Some(UnitKind::Town));
        let cases: Vec<(Caller, [bool; 4])> = vec![
            // assessment, background, a township's own (wangkou), another's (xincheng) / micro
            (Caller::Public, [true, true, false, false]),
            (wk, [true, true, true, false]),
            (account(Role::Operations, None, None), [true; 4]),
            (
                account(Role::Department, Some("市交通运输局"), None),
                [true; 4],
            ),
            (account(Role::Bureau, None, None), [true; 4]),
            (account(Role::Admin, None, None), [true; 4]),
            (account(Role::Commander, None, None), [true; 4]),
            (
                account(Role::Enterprise, Some("AS"), None),
                [true, true, false, false],
            ),
            (
                account(Role::Township, None, None),
                [true, true, false, false],
            ),
        ];
        for (c, want) in cases {
            let got = [
                policy::sees_station_data(&c, Assessment, Some("xinji")),
                policy::sees_station_data(&c, Background, None),
                policy::sees_station_data(&c, Township, Some("wangkou")),
                policy::sees_station_data(&c, Township, Some("xincheng"))
                    && policy::sees_station_data(&c, Micro, Some("xincheng")),
            ];
            assert_eq!(got, want, "{c:?}");
        }
        assert!(matches!(
            policy::station_data(&Caller::Public, Township, Some("wangkou")),
            Err(AppError::Unauthorized)
        ));
        assert!(matches!(
            policy::station_data(&account(Role::Enterprise, Some("AS"), None), Micro, None),
            Err(AppError::Forbidden(_))
        ));
        let wk = account(Role::Township, Some("wangkou"), Some(UnitKind::Town));
        assert!(policy::sees_station_detail(&wk, Some("wangkou")));
        assert!(!policy::sees_station_detail(&wk, Some("xincheng")));
        assert!(!policy::sees_station_detail(
            &Caller::Public,
            Some("wangkou")
        ));
        assert!(!policy::sees_station_detail(
            &account(Role::Enterprise, Some("AS"), None),
            Some("wangkou")
        ));
        assert!(policy::sees_station_detail(
            &account(Role::Operations, None, None),
            Some("x")
        ));
        assert!(!policy::sees_target_verdicts(&Caller::Public));
        assert!(!policy::sees_target_verdicts(&account(
            Role::Enterprise,
            Some("AS"),
            None
        )));
        assert!(policy::sees_target_verdicts(&account(
            Role::Township,
            Some("wangkou"),
            None
        )));
    }
}
