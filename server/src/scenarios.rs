//! The scenarios the server offers: the core's built-in catalog, generated once at start and shared
//! by every run (a scenario is immutable).

use std::sync::Arc;

use vectrade_core::{Scenario, catalog};

/// One offered scenario with its stable id.
pub struct Offered {
    /// A UUID derived from the slug, the same on every server.
    pub id: String,
    /// The scenario.
    pub scenario: Arc<Scenario>,
}

/// Every offered scenario, in catalog order.
pub struct Scenarios {
    list: Vec<Offered>,
}

impl Scenarios {
    /// Generates the built-in catalog.
    pub fn builtin() -> Result<Scenarios, vectrade_core::Error> {
        let list = catalog::entries()
            .iter()
            .map(|e| {
                let scenario = Arc::new(catalog::get(e.slug)?);
                let id =
                    uuid::Uuid::new_v5(&uuid::Uuid::NAMESPACE_URL, format!("vectrade:scenario:{}", e.slug).as_bytes());
                Ok(Offered { id: id.to_string(), scenario })
            })
            .collect::<Result<_, vectrade_core::Error>>()?;
        Ok(Scenarios { list })
    }

    /// All of them.
    pub fn all(&self) -> &[Offered] {
        &self.list
    }

    /// By id or slug.
    pub fn find(&self, id_or_slug: &str) -> Option<&Offered> {
        self.list.iter().find(|o| o.id == id_or_slug || o.scenario.config().slug == id_or_slug)
    }
}
