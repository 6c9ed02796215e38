// Voting unit of one tile: the median of T candidate partial sums of an output, added to the
// output's plain (unvoted) partial sum. Synthesizable SystemVerilog (IEEE 1800-2017).
//
// Arithmetic (docs/design.md, core/datapath.h vote_accumulate):
//   sum_o = base_i + median(cand_i[0], ..., cand_i[T-1]),  all two's complement, W bits.
// The sum saturates to [-2^(W-1), 2^(W-1)-1]; sat_o marks a result that did. A chip whose
// partial sums fit in W bits never saturates, so sat_o high means W is too narrow.
//
// Microarchitecture: an odd-even transposition sorting network of T rounds (T(T-1)/2
// compare-exchanges for odd T; ascending, so the median is element T/2), CE_PER_STAGE rounds
// per pipeline stage, then one stage for the saturating add. Latency (cycles from the input
// handshake to the result's out_valid_o) and initiation interval:
//   NET     = (T == 1) ? 0 : ceil(T / CE_PER_STAGE)    stages of the sorting network
//   LATENCY = NET + 1,  II = 1 (one output per cycle without back-pressure)
// T = 3 with CE_PER_STAGE = 2 gives 3 cycles (configs/default.yaml timing.vote_cycles).
//
// Handshake: AXI-stream-like valid/ready on both sides. A beat moves when valid and ready are
// both high at a rising clock edge; valid must not depend on ready. The pipeline holds under
// back-pressure (out_ready_i low) and collapses bubbles: in_ready_o = a stage is free or the
// pipeline moves. Results leave in the order the inputs came.
//
// Reset: rst_ni is active low and synchronous; it empties the pipeline (all valid bits 0).
// Data registers carry no reset.
module vote_unit #(
    parameter int T            = 3,   // candidates per output, odd, >= 1
    parameter int W            = 48,  // signed width of candidates, base and sum, bits
    parameter int CE_PER_STAGE = 2    // compare-exchange rounds per pipeline stage, >= 1
) (
    input  logic             clk_i,
    input  logic             rst_ni,
    // Input: the T candidates of one output and its plain partial sum.
    input  logic             in_valid_i,
    output logic             in_ready_o,
    input  logic [T*W-1:0]   in_cand_i,    // candidate t in bits [t*W +: W]
    input  logic [  W-1:0]   in_base_i,
    // Output: base + median, saturated.
    output logic             out_valid_o,
    input  logic             out_ready_i,
    output logic [  W-1:0]   out_sum_o,
    output logic             out_sat_o
);

  localparam int NET = (T == 1) ? 0 : (T + CE_PER_STAGE - 1) / CE_PER_STAGE;
  localparam int STAGES = NET + 1;

  typedef logic [T-1:0][W-1:0] cand_t;

  // One round of odd-even transposition: pairs (i, i+1) with i = r mod 2, i+1 < T.
  function automatic cand_t ce_round(input cand_t v, input int r);
    cand_t o = v;
    for (int i = r % 2; i + 1 < T; i += 2)
      if ($signed(v[i]) > $signed(v[i+1])) begin
        o[i]   = v[i+1];
        o[i+1] = v[i];
      end
    return o;
  endfunction

  // Rounds [s * CE_PER_STAGE, min(T, (s + 1) * CE_PER_STAGE)) form network stage s.
  function automatic cand_t net_stage(input cand_t v, input int s);
    cand_t o = v;
    for (int r = s * CE_PER_STAGE; r < (s + 1) * CE_PER_STAGE; r++) if (r < T) o = ce_round(o, r);
    return o;
  endfunction

  // Pipeline registers: stage s holds valid_q[s], cand_q[s], base_q[s]; the last stage holds
  // the sum instead.
  logic  [STAGES-1:0] valid_q;
  logic  [STAGES:0]   load;  // load[s]: stage s takes the beat offered to it this cycle
  cand_t              cand_q [NET+1];
  logic  [W-1:0]      base_q [NET+1];
  logic  [W-1:0]      sum_q;
  logic               sat_q;

  // Stage s can take a beat when it is empty or its beat moves on; stage STAGES is the output.
  always_comb begin
    load[STAGES] = out_ready_i;
    for (int s = STAGES - 1; s >= 0; s--) load[s] = !valid_q[s] || load[s+1];
  end
  assign in_ready_o = load[0];

  // Stage 0 of the candidates is the input itself (no register): cand_q[0] / base_q[0].
  assign cand_q[0] = in_cand_i;
  assign base_q[0] = in_base_i;

  always_ff @(posedge clk_i) begin
    if (!rst_ni) valid_q <= '0;
    else
      for (int s = 0; s < STAGES; s++)
        if (load[s]) valid_q[s] <= (s == 0) ? in_valid_i : valid_q[s-1];
  end

  // Network stages 0 .. NET-1 register into cand_q[1 .. NET].
  for (genvar s = 0; s < NET; s++) begin : g_net
    always_ff @(posedge clk_i)
      if (load[s]) begin
        cand_q[s+1] <= net_stage(cand_q[s], s);
        base_q[s+1] <= base_q[s];
      end
  end

  // Last stage: base + median with saturation, in W+1 bits.
  logic [W:0] wide;
  always_comb
    wide = {base_q[NET][W-1], base_q[NET]} + {cand_q[NET][T/2][W-1], cand_q[NET][T/2]};

  always_ff @(posedge clk_i)
    if (load[STAGES-1]) begin
      sat_q <= wide[W] != wide[W-1];
      if (wide[W] != wide[W-1]) sum_q <= wide[W] ? {1'b1, {(W - 1) {1'b0}}} : {1'b0, {(W - 1) {1'b1}}};
      else sum_q <= wide[W-1:0];
    end

  assign out_valid_o = valid_q[STAGES-1];
  assign out_sum_o   = sum_q;
  assign out_sat_o   = sat_q;

endmodule
