//! A dict a template makes with `{% set d = {...} %}` changes in place with `d.update(...)`,
//! as a Python dict does (real roles use it to carry values out of a loop's scope, e.g.
//! kubespray's ssh-bastion.conf). minijinja's values never change, so such a literal is
//! made a [`MutableDict`] before the template is parsed; any other dict's `update` is
//! refused with what to do.

use minijinja::value::{Enumerator, Object, ObjectRepr, Value as J};
use minijinja::{Error, ErrorKind, State};
use std::borrow::Cow;
use std::sync::{Arc, Mutex, OnceLock};

/// A dict that `update` changes in place; its items keep their insertion order.
#[derive(Debug, Default)]
pub struct MutableDict {
    items: Mutex<Vec<(J, J)>>,
}

impl MutableDict {
    pub fn from_value(v: &J) -> Result<J, Error> {
        let d = MutableDict::default();
        d.update(v)?;
        Ok(J::from_object(d))
    }

    fn update(&self, other: &J) -> Result<(), Error> {
        let keys: Vec<J> = other.try_iter()?.collect();
        let mut items = self.items.lock().expect("not poisoned");
        for k in keys {
            let v = other.get_item(&k)?;
            match items.iter_mut().find(|(key, _)| *key == k) {
                Some(slot) => slot.1 = v,
                None => items.push((k, v)),
            }
        }
        Ok(())
    }

    fn plain(&self) -> J {
        let items = self.items.lock().expect("not poisoned").clone();
        J::from_object(items.into_iter().collect::<snapshot::Pairs>())
    }
}

/// The dict's items as a plain (immutable) map, for the methods Python's dict has besides
/// `update` (`items()`, `get()`, ...).
mod snapshot {
    use minijinja::value::{Enumerator, Object, Value as J};
    use std::sync::Arc;

    #[derive(Debug)]
    pub struct Pairs(pub Vec<(J, J)>);

    impl FromIterator<(J, J)> for Pairs {
        fn from_iter<I: IntoIterator<Item = (J, J)>>(iter: I) -> Self {
            Pairs(iter.into_iter().collect())
        }
    }

    impl Object for Pairs {
        fn get_value(self: &Arc<Self>, key: &J) -> Option<J> {
            self.0
                .iter()
                .find(|(k, _)| k == key)
                .map(|(_, v)| v.clone())
        }
        fn enumerate(self: &Arc<Self>) -> Enumerator {
            Enumerator::Values(self.0.iter().map(|(k, _)| k.clone()).collect())
        }
    }
}

impl Object for MutableDict {
    fn repr(self: &Arc<Self>) -> ObjectRepr {
        ObjectRepr::Map
    }

    fn get_value(self: &Arc<Self>, key: &J) -> Option<J> {
        let items = self.items.lock().expect("not poisoned");
        items.iter().find(|(k, _)| k == key).map(|(_, v)| v.clone())
    }

    fn enumerate(self: &Arc<Self>) -> Enumerator {
        let items = self.items.lock().expect("not poisoned");
        Enumerator::Values(items.iter().map(|(k, _)| k.clone()).collect())
    }

    fn call_method(
        self: &Arc<Self>,
        state: &mut State<'_, '_>,
        method: &str,
        args: &[J],
    ) -> Result<J, Error> {
        if method == "update" {
            for a in args {
                self.update(a)?;
            }
            // Python's update returns None (so `{% if d.update(...) %}` is false).
            return Ok(J::from(()));
        }
        minijinja_contrib::pycompat::unknown_method_callback(state, &self.plain(), method, args)
    }
}

/// `{% set NAME = {...} %}` becomes `{% set NAME = rb_dict({...}) %}`.
pub fn rewrite(text: &str) -> Cow<'_, str> {
    if !text.contains(".update(") {
        return Cow::Borrowed(text);
    }
    static RE: OnceLock<regex::Regex> = OnceLock::new();
    let re = RE.get_or_init(|| {
        regex::Regex::new(r"(?s)(\{%-?\s*set\s+[A-Za-z_][A-Za-z0-9_]*\s*=\s*)(\{.*?\})(\s*-?%\})")
            .expect("valid")
    });
    re.replace_all(text, "${1}rb_dict(${2})${3}")
}

/// The error for `update` on any other dict.
pub fn refused() -> Error {
    Error::new(
        ErrorKind::InvalidOperation,
        "dict.update() changes a dict in place: rb's templates do that for a dict made in the \
         template with {% set d = {...} %}; for a variable's dict, build a new one with \
         combine ({% set d = d | combine({'k': 'v'}) %})",
    )
}
