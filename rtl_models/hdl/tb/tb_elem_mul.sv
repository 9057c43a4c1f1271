// Testbench wrapper of bp_elem_mul: COPIES blocks, each with one lane per element format
// pair (order and field layout as rtl_models/models/elem_mul.py); inputs and outputs
// registered (latency 2).
module tb_elem_mul #(
    parameter int COPIES = 16
) (
    input  logic                  clk,
    input  logic                  in_valid,
    output logic                  in_ready,
    input  logic [COPIES*106-1:0] in_data,
    output logic                  out_valid,
    output logic [COPIES*252-1:0] out_data
);
  logic [COPIES*106-1:0] q;
  logic [COPIES*252-1:0] r;
  logic v;
  assign in_ready = 1'b1;
  always_ff @(posedge clk) begin
    v <= in_valid;
    q <= in_data;
    out_valid <= v;
    out_data <= r;
  end
  for (genvar c = 0; c < COPIES; c++) begin : g_copy
    tb_elem_mul_block u_block (.d(q[c*106 +: 106]), .y(r[c*252 +: 252]));
  end
endmodule
