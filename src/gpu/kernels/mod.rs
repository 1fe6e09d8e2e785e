//! One launcher per shader family: each builds a `Dispatch` (pipeline + bind group + grid) once,
//! at load. Each has a CPU twin in `cpu` and a test comparing them (tests/kernels.rs).

mod argmax;
mod attention;
mod embed;
mod gelu;
mod layer_norm;
mod matmul;
mod pool;
mod rms_norm;
mod rope;
mod swiglu;

pub use argmax::argmax;
pub use attention::{attention, attention_rows, attention_rows_heads, rows_heads, attention_split_parts, decode_key_split, split_parts_bytes, attention_split, attention_split_heads, attention_split_rope, rope_foldable, attention_split_wg, heads_per_workgroup, attention_tiled, encoder_attention, encoder_attention_rows, encoder_attention_tiled, AttentionShape};
pub use embed::embed;
pub use gelu::gelu;
pub use layer_norm::layer_norm;
pub use matmul::{matmul, matmul_gelu, matmul_rows, matmul_sized, matmul_rows_width, matmul_swiglu, matmul_tiled, matvec, matvec_lanes, matvec_merge, matvec_norm, matvec_rows, matvec_swiglu, matvec_swiglu_norm, Norm};
pub use pool::{add_rows, pool, Pooling};
pub use rms_norm::rms_norm;
pub use rope::{rope, rope_qkv, rope_table, RopeMode, RopeShape};
pub use swiglu::swiglu;
