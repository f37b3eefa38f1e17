//! Accounts on both backends: the session epoch grows with a password change and a
//! disabling, roles change, and the last enabled administrator stays one, also when two
//! administrators are demoted at the same moment.

use super::on_both;
use lantian_store::{Role, Store, User, UserStanding};

/// Races of two demotions run; without the advisory lock, PostgreSQL let both through within
/// the first rounds when tried.
const RACE_ROUNDS: usize = 60;

fn add(s: &Store, name: &str, role: Role) {
    s.add_user(&User {
        username: name.into(),
        password_hash: "x".into(),
        role,
        unit_id: None,
        must_change_password: true,
        created_ms: 0,
    })
    .unwrap();
}

fn standing(s: &Store, name: &str) -> (Role, UserStanding) {
    let (u, st) = s.user_standing(name).unwrap().unwrap();
    (u.role, st)
}

#[test]
fn epochs_grow_with_password_changes_and_disabling_and_one_admin_stays() {
    on_both("users", |s, _| {
        add(s, "a1", Role::Admin);
        add(s, "b1", Role::Bureau);
        assert_eq!(standing(s, "a1").1, UserStanding::default());
        s.set_password("a1", "y").unwrap();
        let (u, st) = s.user_standing("a1").unwrap().unwrap();
        assert_eq!((u.must_change_password, st.session_epoch), (false, 1));
        // The only administrator: neither disabled nor demoted.
        assert!(!s.set_user_disabled("a1", true).unwrap());
        assert!(!s.set_user_role("a1", Role::Bureau, None).unwrap());
        assert_eq!(
            standing(s, "a1"),
            (
                Role::Admin,
                UserStanding {
                    disabled: false,
                    session_epoch: 1
                }
            )
        );
        // Another role for the bureau's account, and disabling it.
        assert!(
            s.set_user_role("b1", Role::Township, Some("wangkou"))
                .unwrap()
        );
        assert_eq!(
            s.user("b1").unwrap().unwrap().unit_id.as_deref(),
            Some("wangkou")
        );
        assert!(s.set_user_disabled("b1", true).unwrap());
        assert_eq!(
            standing(s, "b1").1,
            UserStanding {
                disabled: true,
                session_epoch: 1
            }
        );
        assert!(s.set_user_disabled("b1", false).unwrap());
        assert_eq!(
            standing(s, "b1").1,
            UserStanding {
                disabled: false,
                session_epoch: 1
            }
        );
        // A disabled administrator does not count: a2 disabled, a1 still the last.
        add(s, "a2", Role::Admin);
        assert!(s.set_user_disabled("a2", true).unwrap());
        assert!(!s.set_user_role("a1", Role::Bureau, None).unwrap());
        assert!(s.set_user_disabled("a2", false).unwrap());
        assert!(s.set_user_disabled("nobody", true).is_err());
        let names: Vec<String> = s
            .users()
            .unwrap()
            .into_iter()
            .map(|(u, _)| u.username)
            .collect();
        assert_eq!(names, ["a1", "a2", "b1"]);
        // Two administrators demoted at once: one of them stays (rounds, as a race needs).
        for round in 0..RACE_ROUNDS {
            for name in ["a1", "a2"] {
                assert!(s.set_user_role(name, Role::Admin, None).unwrap());
            }
            let done: Vec<bool> = std::thread::scope(|scope| {
                let threads: Vec<_> = ["a1", "a2"]
                    .into_iter()
                    .map(|name| {
                        scope.spawn(move || s.set_user_role(name, Role::Bureau, None).unwrap())
                    })
                    .collect();
                threads.into_iter().map(|t| t.join().unwrap()).collect()
            });
            assert_eq!(
                done.iter().filter(|d| **d).count(),
                1,
                "round {round}: {done:?}"
            );
            let admins = s
                .users()
                .unwrap()
                .into_iter()
                .filter(|(u, _)| u.role == Role::Admin)
                .count();
            assert_eq!(admins, 1, "round {round}");
        }
    });
}
