//! Who is who: the kinds of units (the city, its towns and townships, departments,
//! enterprises, contractors) and the roles of accounts. Closed sets, so enums; each has one
//! spelling in storage and in the API (`as_str`/`parse`).

/// Defines an enum with one stable lowercase name per variant, `as_str`, `parse`, `ALL`,
/// `Display`, `FromStr` and serde in that spelling.
macro_rules! named_enum {
    ($(#[$m:meta])* $name:ident { $($(#[$vm:meta])* $v:ident = $s:literal),+ $(,)? }) => {
        $(#[$m])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, ::serde::Serialize, ::serde::Deserialize)]
        #[serde(rename_all = "snake_case")]
        pub enum $name { $($(#[$vm])* #[serde(rename = $s)] $v),+ }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$v),+];

            pub fn as_str(self) -> &'static str {
                match self { $($name::$v => $s),+ }
            }

            pub fn parse(s: &str) -> Option<$name> {
                match s { $($s => Some($name::$v),)+ _ => None }
            }

            /// The accepted names, for error messages.
            pub fn names() -> String {
                [$($s),+].join(", ")
            }
        }

        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl ::std::str::FromStr for $name {
            type Err = String;
            fn from_str(s: &str) -> Result<$name, String> {
                $name::parse(s).ok_or_else(|| {
                    format!("{s:?}: expected one of {}", $name::names())
                })
            }
        }
    };
}
pub(crate) use named_enum;

named_enum! {
    /// What an equipment's electricity meter (分表计电) reads.
    MeterKind {
        /// Active power, kW.
        Power = "power",
        /// Active energy, a counter in kWh: an hour's power is its increase over the hour.
        Energy = "energy",
        /// Current, A.
        Current = "current",
    }
}

named_enum! {
    /// The role of an account. The public has no account and no role.
    Role {
        /// Manages accounts and settings; sees everything.
        Admin = "admin",
        /// The Ecology and Environment Bureau (市生态环境局): sees everything, closes measures.
        Bureau = "bureau",
        /// A responsible department: reports on the measures of its unit.
        Department = "department",
        /// A town, township or the development zone: its own stations and measures.
        Township = "township",
        /// A station-operations contractor (运维): device status.
        Operations = "operations",
        /// An enterprise: its own sources.
        Enterprise = "enterprise",
        /// The heavy-pollution emergency command (重污染天气应急指挥部): signs off issuing,
        /// adjusting and lifting warnings.
        Commander = "commander",
    }
}

impl Role {
    /// Bureau-level access: sees everything.
    pub fn is_bureau(self) -> bool {
        matches!(self, Role::Admin | Role::Bureau)
    }

    pub fn name_zh(self) -> &'static str {
        match self {
            Role::Admin => "系统管理员",
            Role::Bureau => "生态环境局",
            Role::Department => "责任部门",
            Role::Township => "乡镇（园区）",
            Role::Operations => "运维单位",
            Role::Enterprise => "企业",
            Role::Commander => "应急指挥部",
        }
    }
}

named_enum! {
    /// What an administrative unit is.
    UnitKind {
        /// The county-level city itself.
        City = "city",
        /// A town (镇).
        Town = "town",
        /// A township (乡).
        Township = "township",
        /// A development zone or park (经济开发区, 园区), assessed like a township.
        Zone = "zone",
        /// A government department or another responsible body.
        Department = "department",
        Enterprise = "enterprise",
        /// A contractor (运维单位, 第三方).
        Contractor = "contractor",
    }
}

impl UnitKind {
    /// Towns, townships and zones: the units that are ranked and hold township stations.
    pub fn is_township_level(self) -> bool {
        matches!(self, UnitKind::Town | UnitKind::Township | UnitKind::Zone)
    }
}

named_enum! {
    /// An enterprise's environmental performance grade for heavy-pollution days (重污染天气
    /// 重点行业绩效分级): A+ to D, or 引领性 / 非引领性 for industries graded that way.
    Grade {
        APlus = "A+",
        A = "A",
        B = "B",
        C = "C",
        D = "D",
        Leading = "引领性",
        NonLeading = "非引领性",
    }
}

named_enum! {
    /// What an outlet (排放口) is.
    OutletKind {
        /// An organised stack (有组织排放口) with CEMS.
        Stack = "stack",
        /// Fugitive emissions monitored at the boundary (无组织).
        Fugitive = "fugitive",
    }
}

named_enum! {
    /// What a piece of equipment does, for working-condition monitoring (工况监控).
    EquipmentKind {
        /// Production equipment (生产设施): a furnace, a sintering machine, a kiln.
        Production = "production",
        /// Treatment equipment (治污设施): a desulphuriser, a bag filter, an SCR.
        Treatment = "treatment",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_name_reads_back_and_bad_names_say_what_is_expected() {
        for r in Role::ALL {
            assert_eq!(Role::parse(r.as_str()), Some(*r));
            assert_eq!(r.to_string(), r.as_str());
        }
        for k in UnitKind::ALL {
            assert_eq!(k.as_str().parse::<UnitKind>(), Ok(*k));
        }
        let e = "chief".parse::<Role>().unwrap_err();
        assert!(e.contains("admin, bureau, department"), "{e}");
        assert!(UnitKind::Zone.is_township_level() && !UnitKind::Department.is_township_level());
        assert_eq!(Grade::parse("A+"), Some(Grade::APlus));
        assert_eq!("引领性".parse::<Grade>(), Ok(Grade::Leading));
    }
}
