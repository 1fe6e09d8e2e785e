//! Every WGSL source, embedded at compile time, and the tiny preprocessor that makes variants:
//! `#include "common/x.wgsl"`, `#ifdef NAME` / `#ifndef NAME` / `#else` / `#endif`, and valued
//! defines emitted as `const NAME = value;`. `F16` is set when the device has `shader-f16`.

use std::collections::BTreeMap;

/// (path under `shaders/`, source)
pub const SOURCES: &[(&str, &str)] = &[
    ("common/weights.wgsl", include_str!("../../shaders/common/weights.wgsl")),
    ("common/step.wgsl", include_str!("../../shaders/common/step.wgsl")),
    ("common/matrix_shape.wgsl", include_str!("../../shaders/common/matrix_shape.wgsl")),
    ("common/output.wgsl", include_str!("../../shaders/common/output.wgsl")),
    ("common/reduce.wgsl", include_str!("../../shaders/common/reduce.wgsl")),
    ("common/x_block.wgsl", include_str!("../../shaders/common/x_block.wgsl")),
    ("common/row16.wgsl", include_str!("../../shaders/common/row16.wgsl")),
    ("common/row8.wgsl", include_str!("../../shaders/common/row8.wgsl")),
    ("common/gelu.wgsl", include_str!("../../shaders/common/gelu.wgsl")),
    ("common/norm_row.wgsl", include_str!("../../shaders/common/norm_row.wgsl")),
    ("common/share_block.wgsl", include_str!("../../shaders/common/share_block.wgsl")),
    ("embed.wgsl", include_str!("../../shaders/embed.wgsl")),
    ("rms_norm.wgsl", include_str!("../../shaders/rms_norm.wgsl")),
    ("matvec.wgsl", include_str!("../../shaders/matvec.wgsl")),
    ("matvec_rows.wgsl", include_str!("../../shaders/matvec_rows.wgsl")),
    ("matmul_rows.wgsl", include_str!("../../shaders/matmul_rows.wgsl")),
    ("matmul.wgsl", include_str!("../../shaders/matmul.wgsl")),
    ("common/rope.wgsl", include_str!("../../shaders/common/rope.wgsl")),
    ("rope.wgsl", include_str!("../../shaders/rope.wgsl")),
    ("rope_qkv.wgsl", include_str!("../../shaders/rope_qkv.wgsl")),
    ("attention_rows.wgsl", include_str!("../../shaders/attention_rows.wgsl")),
    ("attention_split.wgsl", include_str!("../../shaders/attention_split.wgsl")),
    ("attention.wgsl", include_str!("../../shaders/attention.wgsl")),
    ("swiglu.wgsl", include_str!("../../shaders/swiglu.wgsl")),
    ("layer_norm.wgsl", include_str!("../../shaders/layer_norm.wgsl")),
    ("gelu.wgsl", include_str!("../../shaders/gelu.wgsl")),
    ("add_rows.wgsl", include_str!("../../shaders/add_rows.wgsl")),
    ("pool.wgsl", include_str!("../../shaders/pool.wgsl")),
    ("argmax.wgsl", include_str!("../../shaders/argmax.wgsl")),
    ("limits_read.wgsl", include_str!("../../shaders/limits_read.wgsl")),
    ("limits_fma.wgsl", include_str!("../../shaders/limits_fma.wgsl")),
];

pub fn source(name: &str) -> Option<&'static str> {
    SOURCES.iter().find(|(n, _)| *n == name).map(|(_, s)| *s)
}

/// Defines of one shader variant: flags have an empty value.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Defines(pub BTreeMap<String, String>);

impl Defines {
    pub fn flag(mut self, name: &str) -> Self {
        self.0.insert(name.to_string(), String::new());
        self
    }
    pub fn flag_if(self, cond: bool, name: &str) -> Self {
        if cond { self.flag(name) } else { self }
    }
    pub fn u32(mut self, name: &str, v: u32) -> Self {
        self.0.insert(name.to_string(), format!("{v}u"));
        self
    }
    pub fn f32(mut self, name: &str, v: f32) -> Self {
        self.0.insert(name.to_string(), format!("{v:e}f"));
        self
    }
    fn has(&self, name: &str) -> bool {
        self.0.contains_key(name)
    }
}

/// Expand `name` with `defines` into plain WGSL.
pub fn preprocess(name: &str, defines: &Defines) -> Result<String, String> {
    let mut out = String::new();
    if defines.has("F16") {
        out.push_str("enable f16;\n");
    }
    // Browsers require the directive; naga (native) rejects it and needs only the device feature.
    if defines.has("SUBGROUPS") && cfg!(target_arch = "wasm32") {
        out.push_str("enable subgroups;\n");
    }
    for (k, v) in &defines.0 {
        if !v.is_empty() {
            out.push_str(&format!("const {k} = {v};\n"));
        }
    }
    expand(name, defines, &mut out, 0)?;
    Ok(out)
}

fn expand(name: &str, defines: &Defines, out: &mut String, depth: u32) -> Result<(), String> {
    if depth > 8 {
        return Err(format!("{name}: includes nested too deeply"));
    }
    let src = source(name).ok_or_else(|| format!("no shader named {name}"))?;
    // Stack of (this branch active, parent active).
    let mut stack: Vec<(bool, bool)> = Vec::new();
    let active = |stack: &Vec<(bool, bool)>| stack.last().map(|&(a, p)| a && p).unwrap_or(true);
    for (lineno, line) in src.lines().enumerate() {
        let t = line.trim_start();
        if let Some(rest) = t.strip_prefix("#ifdef ") {
            let parent = active(&stack);
            stack.push((defines.has(rest.trim()), parent));
        } else if let Some(rest) = t.strip_prefix("#ifndef ") {
            let parent = active(&stack);
            stack.push((!defines.has(rest.trim()), parent));
        } else if t.starts_with("#else") {
            let top = stack.last_mut().ok_or_else(|| format!("{name}:{}: #else without #ifdef", lineno + 1))?;
            top.0 = !top.0;
        } else if t.starts_with("#endif") {
            stack.pop().ok_or_else(|| format!("{name}:{}: #endif without #ifdef", lineno + 1))?;
        } else if let Some(rest) = t.strip_prefix("#include ") {
            if active(&stack) {
                expand(rest.trim().trim_matches('"'), defines, out, depth + 1)?;
            }
        } else if active(&stack) {
            out.push_str(line);
            out.push('\n');
        }
    }
    if !stack.is_empty() {
        return Err(format!("{name}: unterminated #ifdef"));
    }
    Ok(())
}
