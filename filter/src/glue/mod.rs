//! The thin layer between the host (Envoy, or any proxy-wasm host) and the core.
//! Every host call's failure is handled: a failed call never traps the VM.

mod host;
mod http;
mod metrics;
mod root;
mod store;

proxy_wasm::main! {{
    proxy_wasm::set_log_level(proxy_wasm::types::LogLevel::Info);
    proxy_wasm::set_root_context(|_| -> Box<dyn proxy_wasm::traits::RootContext> {
        Box::new(root::Root::default())
    });
}}
