namespace faultline::reports { int unused_placeholder_ = 0; }
