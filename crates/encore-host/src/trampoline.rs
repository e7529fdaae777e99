//! The trampoline rewrite: links a Wasm API v2 guest to the provider's `_`-prefixed exports.
//!
//! Mirrors what Shopify's trampoline does before function-runner or Shopify run a module:
//! plain `shopify_function_v2` imports are renamed to the provider's `_`-prefixed exports, the
//! provider's memory is imported (multi-memory), and the five imports that pass strings become
//! small local functions that `memory.copy` between the guest's memory and the provider's. The
//! instruction sequences match Shopify's so the helpers cost the same instructions.

use crate::HostError;
use walrus::ir::{BinaryOp, LoadKind, MemArg, UnaryOp};
use walrus::{FunctionBuilder, FunctionId, ImportKind, LocalId, MemoryId, Module, ValType};

/// The import module of Shopify Function Wasm API v2 (and of the provider's exports).
pub const PROVIDER_MODULE: &str = "shopify_function_v2";

/// Imports that only need renaming to the provider's `_`-prefixed export.
const RENAMED: &[&str] = &[
    "shopify_function_input_get",
    "shopify_function_input_get_val_len",
    "shopify_function_input_get_interned_obj_prop",
    "shopify_function_input_get_at_index",
    "shopify_function_input_get_obj_key_at_index",
    "shopify_function_output_new_bool",
    "shopify_function_output_new_null",
    "shopify_function_output_new_i32",
    "shopify_function_output_new_f64",
    "shopify_function_output_new_object",
    "shopify_function_output_finish_object",
    "shopify_function_output_new_array",
    "shopify_function_output_finish_array",
    "shopify_function_output_new_interned_utf8_str",
];

const INPUT_READ_UTF8_STR: &str = "shopify_function_input_read_utf8_str";
const INPUT_GET_OBJ_PROP: &str = "shopify_function_input_get_obj_prop";
const OUTPUT_NEW_UTF8_STR: &str = "shopify_function_output_new_utf8_str";
const INTERN_UTF8_STR: &str = "shopify_function_intern_utf8_str";
const LOG_NEW_UTF8_STR: &str = "shopify_function_log_new_utf8_str";

/// Imports replaced by local functions that copy strings between the two memories.
const STRING_PASSING: &[&str] = &[
    INPUT_READ_UTF8_STR,
    INPUT_GET_OBJ_PROP,
    OUTPUT_NEW_UTF8_STR,
    INTERN_UTF8_STR,
    LOG_NEW_UTF8_STR,
];

/// Checks the guest's imports and returns the trampolined module's bytes.
pub fn trampoline(guest_wasm: &[u8]) -> Result<Vec<u8>, HostError> {
    if !guest_wasm.starts_with(b"\0asm") {
        let reason = if guest_wasm.is_empty() {
            "the file is empty".to_string()
        } else if guest_wasm.starts_with(b"(module") {
            "it is WebAssembly text; compile it to a binary first".to_string()
        } else {
            "it does not start with the \\0asm magic number".to_string()
        };
        return Err(HostError::NotWasm { reason });
    }
    let module = Module::from_buffer(guest_wasm).map_err(|e| HostError::InvalidModule {
        message: format!("{e:#}"),
    })?;
    check_imports(&module)?;
    let module = Codegen::new(module).apply()?;
    let mut module = module;
    Ok(module.emit_wasm())
}

fn check_imports(module: &Module) -> Result<(), HostError> {
    for import in module.imports.iter() {
        let (m, name) = (import.module.as_str(), import.name.as_str());
        let known = m == PROVIDER_MODULE
            && match import.kind {
                ImportKind::Function(_) => is_api_import(name) || is_provider_export(name),
                // Only an already-trampolined module imports the provider's memory.
                ImportKind::Memory(_) => name == "memory",
                _ => false,
            };
        if known {
            continue;
        }
        let (module, name) = (m.to_string(), name.to_string());
        return Err(if m.starts_with("wasi") {
            HostError::WasiImport { module, name }
        } else {
            HostError::UnknownImport { module, name }
        });
    }
    Ok(())
}

/// A Wasm API v2 import as a Function module declares it.
fn is_api_import(name: &str) -> bool {
    RENAMED.contains(&name) || STRING_PASSING.contains(&name)
}

/// A provider export an already-trampolined module imports (trampolining is idempotent).
fn is_provider_export(name: &str) -> bool {
    matches!(
        name,
        "_shopify_function_alloc" | "_shopify_function_input_get_utf8_str_addr"
    ) || name.strip_prefix('_').is_some_and(is_api_import)
}

fn invalid(e: impl std::fmt::Display) -> HostError {
    HostError::InvalidModule {
        message: e.to_string(),
    }
}

struct Codegen {
    module: Module,
    guest_memory: Option<MemoryId>,
    provider_memory: Option<MemoryId>,
    memcpy_to_guest: Option<FunctionId>,
    memcpy_to_provider: Option<FunctionId>,
    alloc: Option<FunctionId>,
}

impl Codegen {
    fn new(module: Module) -> Self {
        let provider_memory = module.imports.iter().find_map(|import| match import.kind {
            ImportKind::Memory(id) if import.module == PROVIDER_MODULE => Some(id),
            _ => None,
        });
        Self {
            module,
            guest_memory: None,
            provider_memory,
            memcpy_to_guest: None,
            memcpy_to_provider: None,
            alloc: None,
        }
    }

    fn apply(mut self) -> Result<Module, HostError> {
        for name in RENAMED {
            if let Some(id) = self.module.imports.find(PROVIDER_MODULE, name) {
                self.module.imports.get_mut(id).name = format!("_{name}");
            }
        }
        if let Some(f) = self.imported(INPUT_READ_UTF8_STR) {
            self.input_read_utf8_str(f)?;
        }
        if let Some(f) = self.imported(INPUT_GET_OBJ_PROP) {
            self.input_get_obj_prop(f)?;
        }
        if let Some(f) = self.imported(OUTPUT_NEW_UTF8_STR) {
            self.str_to_provider(f, OUTPUT_NEW_UTF8_STR)?;
        }
        if let Some(f) = self.imported(INTERN_UTF8_STR) {
            self.str_to_provider(f, INTERN_UTF8_STR)?;
        }
        if let Some(f) = self.imported(LOG_NEW_UTF8_STR) {
            self.log_new_utf8_str(f)?;
        }
        Ok(self.module)
    }

    fn imported(&self, name: &str) -> Option<FunctionId> {
        self.module.imports.get_func(PROVIDER_MODULE, name).ok()
    }

    fn guest_memory(&mut self) -> Result<MemoryId, HostError> {
        if let Some(id) = self.guest_memory {
            return Ok(id);
        }
        let mut memories = self
            .module
            .memories
            .iter()
            .filter(|m| m.import.is_none())
            .map(|m| m.id());
        let id = match (memories.next(), memories.next()) {
            (Some(id), None) => id,
            (None, _) => return Err(invalid("the module has no memory to pass strings through")),
            (Some(_), Some(_)) => return Err(invalid("the module defines more than one memory")),
        };
        self.guest_memory = Some(id);
        Ok(id)
    }

    fn provider_memory(&mut self) -> Result<MemoryId, HostError> {
        self.guest_memory()?;
        Ok(*self.provider_memory.get_or_insert_with(|| {
            self.module
                .add_import_memory(PROVIDER_MODULE, "memory", false, false, 1, None, None)
                .0
        }))
    }

    fn import_provider_func(
        &mut self,
        name: &str,
        params: &[ValType],
        results: &[ValType],
    ) -> FunctionId {
        let ty = self.module.types.add(params, results);
        self.module.add_import_func(PROVIDER_MODULE, name, ty).0
    }

    /// `(dst, src, len)`: `memory.copy` from one memory to the other.
    fn memcpy(&mut self, to_guest: bool) -> Result<FunctionId, HostError> {
        let cached = if to_guest {
            self.memcpy_to_guest
        } else {
            self.memcpy_to_provider
        };
        if let Some(id) = cached {
            return Ok(id);
        }
        let provider = self.provider_memory()?;
        let guest = self.guest_memory()?;
        let (src, dst) = if to_guest {
            (provider, guest)
        } else {
            (guest, provider)
        };
        let i32s = [ValType::I32, ValType::I32, ValType::I32];
        let mut builder = FunctionBuilder::new(&mut self.module.types, &i32s, &[]);
        let [d, s, n] = i32s.map(|t| self.module.locals.add(t));
        builder
            .func_body()
            .local_get(d)
            .local_get(s)
            .local_get(n)
            .memory_copy(src, dst);
        let id = builder.finish(vec![d, s, n], &mut self.module.funcs);
        if to_guest {
            self.memcpy_to_guest = Some(id);
        } else {
            self.memcpy_to_provider = Some(id);
        }
        Ok(id)
    }

    /// `(len) -> ptr`: allocates `len` bytes in the provider's memory.
    fn alloc(&mut self) -> FunctionId {
        if let Some(id) = self.alloc {
            return id;
        }
        let provider_alloc =
            self.import_provider_func("_shopify_function_alloc", &[ValType::I32], &[ValType::I32]);
        let mut builder =
            FunctionBuilder::new(&mut self.module.types, &[ValType::I32], &[ValType::I32]);
        let len = self.module.locals.add(ValType::I32);
        builder.func_body().local_get(len).call(provider_alloc);
        let id = builder.finish(vec![len], &mut self.module.funcs);
        self.alloc = Some(id);
        id
    }

    /// `input_read_utf8_str(src, out, len)`: copy `len` bytes of the input string at `src`
    /// (provider memory) to `out` (guest memory).
    fn input_read_utf8_str(&mut self, f: FunctionId) -> Result<(), HostError> {
        let addr = self.import_provider_func(
            "_shopify_function_input_get_utf8_str_addr",
            &[ValType::I32],
            &[ValType::I32],
        );
        let to_guest = self.memcpy(true)?;
        self.module
            .replace_imported_func(f, |(body, args)| {
                let (src, out, len) = (args[0], args[1], args[2]);
                body.local_get(out)
                    .local_get(src)
                    .call(addr)
                    .local_get(len)
                    .call(to_guest);
            })
            .map_err(invalid)?;
        Ok(())
    }

    /// `input_get_obj_prop(scope, ptr, len) -> val`: copy the key into provider memory first.
    fn input_get_obj_prop(&mut self, f: FunctionId) -> Result<(), HostError> {
        let get = self.import_provider_func(
            "_shopify_function_input_get_obj_prop",
            &[ValType::I64, ValType::I32, ValType::I32],
            &[ValType::I64],
        );
        let alloc = self.alloc();
        let to_provider = self.memcpy(false)?;
        let dst = self.module.locals.add(ValType::I32);
        self.module
            .replace_imported_func(f, |(body, args)| {
                let (scope, ptr, len) = (args[0], args[1], args[2]);
                body.local_get(len)
                    .call(alloc)
                    .local_tee(dst)
                    .local_get(ptr)
                    .local_get(len)
                    .call(to_provider)
                    .local_get(scope)
                    .local_get(dst)
                    .local_get(len)
                    .call(get);
            })
            .map_err(invalid)?;
        Ok(())
    }

    /// `output_new_utf8_str` / `intern_utf8_str` `(ptr, len) -> i32`: the provider returns
    /// `(result << 32) | dst`; copy the string to `dst` and return `result`.
    fn str_to_provider(&mut self, f: FunctionId, name: &str) -> Result<(), HostError> {
        let provider =
            self.import_provider_func(&format!("_{name}"), &[ValType::I32], &[ValType::I64]);
        let to_provider = self.memcpy(false)?;
        let packed = self.module.locals.add(ValType::I64);
        self.module
            .replace_imported_func(f, |(body, args)| {
                let (ptr, len) = (args[0], args[1]);
                body.local_get(len)
                    .call(provider)
                    .local_tee(packed)
                    .i64_const(32)
                    .binop(BinaryOp::I64ShrU)
                    .unop(UnaryOp::I32WrapI64)
                    .local_get(packed)
                    .unop(UnaryOp::I32WrapI64)
                    .local_get(ptr)
                    .local_get(len)
                    .call(to_provider);
            })
            .map_err(invalid)?;
        Ok(())
    }

    /// `log_new_utf8_str(ptr, len)`: the provider returns a pointer to
    /// `[src_offset, dst1, len1, dst2, len2]` in its memory (its ring buffer may wrap).
    fn log_new_utf8_str(&mut self, f: FunctionId) -> Result<(), HostError> {
        let provider = self.import_provider_func(
            "_shopify_function_log_new_utf8_str",
            &[ValType::I32],
            &[ValType::I32],
        );
        let to_provider = self.memcpy(false)?;
        let mem = self.provider_memory()?;
        let [ret, src_offset, dst1, len1, dst2, len2]: [LocalId; 6] =
            [(); 6].map(|_| self.module.locals.add(ValType::I32));
        let load = move |offset: u32| {
            (
                mem,
                LoadKind::I32 { atomic: false },
                MemArg { align: 4, offset },
            )
        };
        self.module
            .replace_imported_func(f, |(body, args)| {
                let (ptr, len) = (args[0], args[1]);
                let (m, k, a) = load(0);
                body.local_get(len)
                    .call(provider)
                    .local_tee(ret)
                    .load(m, k, a)
                    .local_set(src_offset);
                let (m, k, a) = load(4);
                body.local_get(ret).load(m, k, a).local_set(dst1);
                let (m, k, a) = load(8);
                body.local_get(ret).load(m, k, a).local_set(len1);
                body.local_get(dst1)
                    .local_get(ptr)
                    .local_get(src_offset)
                    .binop(BinaryOp::I32Add)
                    .local_tee(ptr)
                    .local_get(len1)
                    .call(to_provider)
                    .local_get(len1)
                    .local_get(len)
                    .binop(BinaryOp::I32Ne)
                    .if_else(
                        None,
                        |then| {
                            let (m, k, a) = load(12);
                            then.local_get(ret).load(m, k, a).local_set(dst2);
                            let (m, k, a) = load(16);
                            then.local_get(ret).load(m, k, a).local_set(len2);
                            then.local_get(dst2)
                                .local_get(ptr)
                                .local_get(len1)
                                .binop(BinaryOp::I32Add)
                                .local_get(len2)
                                .call(to_provider);
                        },
                        |_| {},
                    );
            })
            .map_err(invalid)?;
        Ok(())
    }
}
