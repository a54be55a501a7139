//! The budgets' store in the host: proxy-wasm shared data, one map per `vm_id`
//! shared by every worker of the Envoy process, with a CAS version per key.

use crate::limits::{Store, StoreError};
use proxy_wasm::hostcalls;
use proxy_wasm::types::Status;

pub struct SharedData;

impl Store for SharedData {
    fn get(&self, key: &str) -> Result<Option<(Vec<u8>, u32)>, StoreError> {
        match hostcalls::get_shared_data(key) {
            Ok((Some(bytes), Some(cas))) => Ok(Some((bytes, cas))),
            Ok((None, _)) | Err(Status::NotFound) => Ok(None),
            Ok((Some(_), None)) | Err(_) => Err(StoreError::Unavailable),
        }
    }

    fn set(&self, key: &str, value: &[u8], cas: u32) -> Result<(), StoreError> {
        match hostcalls::set_shared_data(key, Some(value), Some(cas)) {
            Ok(()) => Ok(()),
            Err(Status::CasMismatch) => Err(StoreError::CasMismatch),
            Err(_) => Err(StoreError::Unavailable),
        }
    }
}
