//! The first two answers every screen needs (`/session`, `/workspaces`), asked by the entry file
//! (`embed-ui/js/postiz.js`) while the module downloads, so a cold load waits one round trip
//! less. Only for a cookie session on the same origin (a bearer token is the module's to send);
//! any prefetch that did not answer 200 with JSON of the expected shape is asked again the usual
//! way, with its errors and token renewal.

use std::cell::RefCell;

use js_sys::{Promise, Reflect};
use serde::de::DeserializeOwned;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::Response;

use crate::api::{Api, UiError};

/// Prefetched answers, each taken once.
#[derive(Debug, Default)]
pub struct Prefetched(RefCell<Vec<(String, Promise)>>);

impl Prefetched {
    /// Reads `options.prefetch` (`{ "/session": Promise<Response>, … }`).
    pub fn from_options(options: &JsValue) -> Prefetched {
        let mut found = Vec::new();
        if let Ok(map) = Reflect::get(options, &"prefetch".into())
            && map.is_object()
        {
            for key in js_sys::Object::keys(map.unchecked_ref::<js_sys::Object>()).iter() {
                if let (Some(path), Ok(p)) = (key.as_string(), Reflect::get(&map, &key))
                    && let Ok(promise) = p.dyn_into::<Promise>()
                {
                    found.push((path, promise));
                }
            }
        }
        Prefetched(RefCell::new(found))
    }

    fn take(&self, path: &str) -> Option<Promise> {
        let mut list = self.0.borrow_mut();
        let i = list.iter().position(|(p, _)| p == path)?;
        Some(list.swap_remove(i).1)
    }

    /// `GET path`: the prefetched answer when there is a good one, else asked now.
    pub async fn get<T: DeserializeOwned>(&self, api: &Api, path: &str) -> Result<T, UiError> {
        if let Some(promise) = self.take(path)
            && let Some(value) = read(promise).await
        {
            return Ok(value);
        }
        api.get(path).await
    }
}

async fn read<T: DeserializeOwned>(promise: Promise) -> Option<T> {
    let response: Response = JsFuture::from(promise).await.ok()?.dyn_into().ok()?;
    if response.status() != 200 {
        return None;
    }
    let text = JsFuture::from(response.text().ok()?).await.ok()?.as_string()?;
    serde_json::from_str(&text).ok()
}
